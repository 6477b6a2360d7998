// intent: accept
// retval: 0
// map: m array 4 8 1

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u32 *)(r10 - 4) = 0
	*(u64 *)(r10 - 16) = 9
	r2 = r10
	r2 += -4
	r3 = r10
	r3 += -16
	r1 = m ll
	r4 = 0
	call 2
	exit
