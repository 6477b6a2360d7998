// intent: accept
// retval: 255

	.section xdp,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 1
	if r4 > r3 goto drop
	r0 = *(u8 *)(r2 + 0)
	exit
drop:
	r0 = 1
	exit
