// intent: reject
// expect: invalid mem access 'scalar'
// about: a filled constant is not a pointer

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = r10
	r1 += -8
	*(u64 *)(r1 + 0) = 0
	r1 = *(u64 *)(r1 + 0)
	r0 = *(u64 *)(r1 + 0)
	exit
