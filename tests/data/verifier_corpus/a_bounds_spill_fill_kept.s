// intent: accept
// retval: 0
// map: m array 4 8 1
// about: a spilled scalar keeps its bounds

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
	r0 &= 7
	*(u64 *)(r10 - 16) = r0
	r0 = *(u64 *)(r10 - 16)
	r6 += r0
	r0 = *(u8 *)(r6 + 0)
	exit
out:
	r0 = 0
	exit
