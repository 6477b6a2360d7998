// intent: accept
// retval: 2

	.section xdp,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 2
	exit
