// intent: accept
// retval: 0
// map: m array 4 8 1
// about: array lookup with a constant in-range key cannot return NULL (kernel >= 6.x)

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call 1
	r0 = *(u64 *)(r0 + 0)
	exit
