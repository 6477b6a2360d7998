// intent: reject
// expect: invalid read from stack

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u64 *)(r10 - 8) = 21
	r1 = r10
	r1 += -8
	call f
	exit
f:
	r0 = *(u64 *)(r1 + 8)
	exit
