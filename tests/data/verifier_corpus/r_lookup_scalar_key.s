// intent: reject
// expect: R2 type=scalar expected=fp
// map: m array 4 8 1

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = m ll
	r2 = 0
	call 1
	r0 = 0
	exit
