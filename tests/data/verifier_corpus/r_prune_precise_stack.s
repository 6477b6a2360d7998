// intent: reject
// expect: invalid access to map value, value_size=8 off=8 size=1
// map: m array 4 8 1
// about: precision must propagate through a stack spill

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
	r6 = r0
	call 7
	*(u64 *)(r10 - 16) = 0
	if r0 == 0 goto join
	*(u64 *)(r10 - 16) = 8
join:
	r7 = *(u64 *)(r10 - 16)
	r6 += r7
	r0 = *(u8 *)(r6 + 0)
	exit
out:
	r0 = 0
	exit
