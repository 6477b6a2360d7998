// intent: reject
// expect: invalid zero-sized read

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = 0
	r3 = r10
	r3 += -16
	r4 = 0
	call 26
	r0 = 0
	exit
