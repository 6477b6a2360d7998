// intent: reject
// expect: BPF_ATOMIC stores into R1 ctx is not allowed

	.section tc,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = 1
	lock *(u32 *)(r1 + 8) += w2
	r0 = 0
	exit
