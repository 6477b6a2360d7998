// intent: reject
// expect: tail_call would lead to reference leak
// map: pa prog_array 4 4 1

	.section tc,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r6 = r1
	*(u64 *)(r10 - 16) = 0
	*(u32 *)(r10 - 8) = 0
	r2 = r10
	r2 += -16
	r3 = 12
	r4 = -1
	r5 = 0
	call 84
	if r0 == 0 goto out
	r7 = r0
	r1 = r6
	r2 = pa ll
	r3 = 0
	call 12
	r1 = r7
	call 86
out:
	r0 = 0
	exit
