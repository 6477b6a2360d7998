// intent: reject
// expect: invalid access to packet

	.section tc,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = *(u32 *)(r1 + 76)
	r0 = *(u8 *)(r2 + 0)
	exit
