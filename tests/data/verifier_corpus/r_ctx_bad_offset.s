// intent: reject
// expect: invalid bpf_context access off=1000 size=4

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = *(u32 *)(r1 + 1000)
	exit
