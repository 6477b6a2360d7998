// intent: accept
// retval: 0
// license: Dual MIT/GPL
// about: GPL-compatible license string

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = 26984
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -8
	r2 = 8
	call 6
	r0 = 0
	exit
