// intent: reject
// expect: invalid bpf_context access off=96 size=8
// about: at most 12 u64 arguments

	.section raw_tp/sys_enter,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = *(u64 *)(r1 + 96)
	r0 = 0
	exit
