// intent: reject
// expect: invalid mem access 'scalar'

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = 0
	r0 = *(u64 *)(r1 + 0)
	exit
