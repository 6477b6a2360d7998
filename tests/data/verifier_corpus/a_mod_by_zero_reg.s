// intent: accept
// retval: 10
// about: modulo by a zero register leaves dst unchanged

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 10
	r1 = 0
	r0 %= r1
	exit
