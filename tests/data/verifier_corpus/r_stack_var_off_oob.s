// intent: reject
// expect: invalid variable-offset read from stack R1

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	call 7
	r0 &= 15
	r1 = r10
	r1 += -8
	r1 += r0
	r0 = *(u8 *)(r1 + 0)
	exit
