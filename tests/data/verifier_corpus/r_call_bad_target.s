// intent: reject
// expect: call to invalid destination

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	.quad 0x0000006400001085
	r0 = 0
	exit
