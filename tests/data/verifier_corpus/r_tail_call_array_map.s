// intent: reject
// expect: expected prog array map for tail call
// map: m array 4 8 1

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = m ll
	r3 = 0
	call 12
	r0 = 0
	exit
