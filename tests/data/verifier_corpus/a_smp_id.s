// intent: accept
// retval: 3

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	call 8
	r0 = 3
	exit
