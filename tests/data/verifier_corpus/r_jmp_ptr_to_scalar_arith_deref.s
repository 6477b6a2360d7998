// intent: reject
// expect: invalid read from stack

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = r10
	r2 = 8
	r1 += r2
	r0 = *(u64 *)(r1 - 8)
	r0 = *(u64 *)(r1 + 0)
	exit
