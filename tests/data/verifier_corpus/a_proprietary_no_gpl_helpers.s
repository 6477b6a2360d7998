// intent: accept
// retval: 2
// license: Proprietary

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	call 5
	r0 = 2
	exit
