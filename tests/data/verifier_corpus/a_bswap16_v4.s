// intent: accept
// retval: 513
// about: cpu v4 bswap

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 258
	r0 = bswap16 r0
	exit
