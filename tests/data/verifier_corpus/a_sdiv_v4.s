// intent: accept
// retval: -3
// about: cpu v4 signed division

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = -10
	r1 = 3
	r0 s/= r1
	exit
