// intent: accept
// retval: 1

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	w1 = -1
	r0 = 0
	if w1 s< 0 goto neg
	exit
neg:
	r0 = 1
	exit
