// intent: reject
// expect: dereference of modified ctx ptr R1 off=4 disallowed

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 += 4
	r0 = *(u32 *)(r1 + 0)
	exit
