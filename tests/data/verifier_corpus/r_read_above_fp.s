// intent: reject
// expect: invalid read from stack

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = *(u64 *)(r10 + 8)
	exit
