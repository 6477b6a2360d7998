// intent: reject
// expect: invalid bpf_context access off=0 size=8

	.section tc,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = r10
	*(u64 *)(r1 + 0) = r2
	r0 = 0
	exit
