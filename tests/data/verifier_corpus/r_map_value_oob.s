// intent: reject
// expect: invalid access to map value, value_size=8 off=8 size=8
// map: m array 4 8 1

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call 1
	if r0 == 0 goto out
	r0 = *(u64 *)(r0 + 8)
	exit
out:
	r0 = 0
	exit
