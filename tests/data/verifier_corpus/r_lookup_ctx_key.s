// intent: reject
// expect: R2 type=ctx expected=fp
// map: m array 4 8 1

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = r1
	r1 = m ll
	call 1
	r0 = 0
	exit
