// intent: accept
// retval: 0
// map: m array 4 8 1

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
	r0 = *(u64 *)(r0 + 0)
	exit
out:
	r0 = 1
	exit
