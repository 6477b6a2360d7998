// intent: accept
// about: data_end < data+8 spelled the other way round

	.section tc,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = *(u32 *)(r1 + 76)
	r3 = *(u32 *)(r1 + 80)
	r0 = r2
	r0 += 8
	if r3 < r0 goto out
	r0 = *(u64 *)(r2 + 0)
	r0 >>= 56
	exit
out:
	r0 = 0
	exit
