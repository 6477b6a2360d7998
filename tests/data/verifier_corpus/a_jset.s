// intent: accept
// retval: 1

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = 6
	r0 = 0
	if r1 & 2 goto set
	exit
set:
	r0 = 1
	exit
