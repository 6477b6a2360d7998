// intent: reject
// expect: R1 pointer arithmetic with *= operator prohibited

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = r10
	r1 *= 2
	r0 = 0
	exit
