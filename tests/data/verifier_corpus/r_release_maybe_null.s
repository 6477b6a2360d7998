// intent: reject
// expect: R1 type=sock_or_null expected=

	.section tc,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u64 *)(r10 - 16) = 0
	*(u32 *)(r10 - 8) = 0
	r2 = r10
	r2 += -16
	r3 = 12
	r4 = -1
	r5 = 0
	call 84
	r1 = r0
	call 86
	r0 = 0
	exit
