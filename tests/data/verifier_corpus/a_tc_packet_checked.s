// intent: accept
// retval: 8
// about: direct packet access after a data_end check

	.section tc,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = *(u32 *)(r1 + 76)
	r3 = *(u32 *)(r1 + 80)
	r0 = r2
	r0 += 14
	if r0 > r3 goto out
	r0 = *(u8 *)(r2 + 12)
	exit
out:
	r0 = 0
	exit
