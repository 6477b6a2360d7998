// intent: reject
// expect: invalid bpf_context access off=0 size=8

	.section raw_tp/sys_enter,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = 0
	*(u64 *)(r1 + 0) = r2
	r0 = 0
	exit
