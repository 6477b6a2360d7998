// intent: accept
// retval: 13330

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 4660
	r0 = be16 r0
	exit
