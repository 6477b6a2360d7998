// intent: reject
// expect: same insn cannot be used with different pointers

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r6 = r1
	call 7
	r1 = r10
	r1 += -8
	*(u64 *)(r10 - 8) = 0
	if r0 == 0 goto load
	r1 = r6
load:
	r0 = *(u32 *)(r1 + 0)
	exit
