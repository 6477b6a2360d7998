// intent: reject
// expect: invalid mem access 'map_value_or_null'
// map: h hash 4 8 4

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = h ll
	call 1
	r0 = *(u64 *)(r0 + 0)
	exit
