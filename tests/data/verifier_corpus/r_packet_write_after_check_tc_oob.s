// intent: reject
// expect: invalid access to packet, off=2 size=4

	.section tc,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = *(u32 *)(r1 + 76)
	r3 = *(u32 *)(r1 + 80)
	r0 = r2
	r0 += 4
	if r0 > r3 goto out
	*(u32 *)(r2 + 2) = 0
out:
	r0 = 0
	exit
