// intent: reject
// expect: R6 invalid mem access 'scalar'

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
	r6 = r0
	r1 = r0
	call 86
	r0 = *(u32 *)(r6 + 0)
	exit
out:
	r0 = 0
	exit
