// intent: accept
// retval: 42
// about: smallest program

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 42
	exit
