// intent: reject
// expect: frame pointer is read only

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r10 = 0
	r0 = 0
	exit
