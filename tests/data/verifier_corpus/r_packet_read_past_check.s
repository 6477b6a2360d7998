// intent: reject
// expect: invalid access to packet, off=20 size=1

	.section tc,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = *(u32 *)(r1 + 76)
	r3 = *(u32 *)(r1 + 80)
	r0 = r2
	r0 += 14
	if r0 > r3 goto out
	r0 = *(u8 *)(r2 + 20)
	exit
out:
	r0 = 0
	exit
