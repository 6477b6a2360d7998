// intent: accept
// retval: 0
// about: division by a zero register is defined (result 0), not rejected

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = 0
	r0 = 10
	r0 /= r1
	exit
