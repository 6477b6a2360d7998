// intent: reject
// expect: pointer += pointer prohibited

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = r10
	r2 = r10
	r1 += r2
	r0 = 0
	exit
