// intent: reject
// expect: invalid size of register fill

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u64 *)(r10 - 8) = r1
	r0 = *(u32 *)(r10 - 8)
	exit
