// intent: reject
// expect: misaligned stack access

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u64 *)(r10 - 12) = 0
	r0 = 0
	exit
