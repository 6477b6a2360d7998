// intent: reject
// expect: invalid write to stack R3

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r6 = r1
	call 7
	r4 = r0
	r4 &= 65535
	r4 += 1
	r1 = r6
	r2 = 0
	r3 = r10
	r3 += -16
	call 26
	r0 = 0
	exit
