// intent: reject
// expect: invalid bpf_context access off=0 size=4

	.section xdp,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = 0
	*(u32 *)(r1 + 0) = r2
	r0 = 2
	exit
