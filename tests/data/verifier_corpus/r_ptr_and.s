// intent: reject
// expect: R1 bitwise operator &= on pointer prohibited

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = r10
	r1 &= 7
	r0 = 0
	exit
