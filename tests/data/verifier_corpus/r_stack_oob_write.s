// intent: reject
// expect: invalid write to stack R10 off=-520 size=8

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u64 *)(r10 - 520) = r1
	r0 = 0
	exit
