// intent: accept
// retval: 15
// about: 32-bit ALU zero-extends

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	w0 = -1
	w0 >>= 28
	exit
