// intent: reject
// expect: unbounded min value is not allowed
// map: m array 4 8 1
// about: the helper's r0 is a full 64-bit unknown: a 32-bit compare bounds only the low half

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
	if w0 > 7 goto out
	r6 += r0
	r0 = *(u8 *)(r6 + 0)
	exit
out:
	r0 = 0
	exit
