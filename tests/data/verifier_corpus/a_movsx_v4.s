// intent: accept
// retval: -1
// about: cpu v4 sign-extending move

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = 255
	r0 = (s8)r1
	exit
