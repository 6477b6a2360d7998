// intent: accept
// retval: 4

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = 1
	call f1
	exit
f1:
	r1 += 1
	call f2
	exit
f2:
	r1 += 1
	call f3
	exit
f3:
	r0 = r1
	r0 += 1
	exit
