// intent: reject
// expect: R1 type=scalar expected=map_ptr

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = 0
	r2 = 0
	call 1
	r0 = 0
	exit
