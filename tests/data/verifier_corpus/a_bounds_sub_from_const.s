// intent: accept
// retval: 0
// map: m array 4 8 1
// about: 7 - (0..7) = 0..7

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
	r7 = 7
	r7 -= r0
	r0 = r7
	r6 += r0
	r0 = *(u8 *)(r6 + 0)
	exit
out:
	r0 = 0
	exit
