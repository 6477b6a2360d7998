// intent: accept
// retval: 0

	.section tc,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = *(u32 *)(r1 + 76)
	r3 = *(u32 *)(r1 + 80)
	r0 = r2
	r0 += 4
	if r0 > r3 goto out
	*(u32 *)(r2 + 0) = 0
	r0 = *(u8 *)(r2 + 3)
	exit
out:
	r0 = 1
	exit
