// intent: accept
// retval: 42
// about: a callee reads the caller's stack through a pointer

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
	r0 = *(u64 *)(r1 + 0)
	r0 *= 2
	exit
