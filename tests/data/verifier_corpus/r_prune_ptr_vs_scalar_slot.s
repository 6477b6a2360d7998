// intent: reject
// expect: invalid mem access 'scalar'
// about: one path leaves a pointer in the slot, the other a scalar

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	call 7
	r1 = r10
	r1 += -8
	*(u64 *)(r10 - 8) = 0
	*(u64 *)(r10 - 16) = r1
	if r0 == 0 goto join
	*(u64 *)(r10 - 16) = 0
join:
	r1 = *(u64 *)(r10 - 16)
	r0 = *(u64 *)(r1 + 0)
	exit
