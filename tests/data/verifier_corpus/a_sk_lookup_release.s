// intent: accept
// retval: 0
// about: acquired socket reference released on the non-NULL path

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
	if r0 == 0 goto out
	r1 = r0
	call 86
out:
	r0 = 0
	exit
