// intent: reject
// expect: combined stack size of 2 calls is

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u64 *)(r10 - 256) = 0
	call f
	r0 = 0
	exit
f:
	*(u64 *)(r10 - 304) = 0
	r0 = 0
	exit
