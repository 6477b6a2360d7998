// intent: reject
// expect: invalid bpf_context access off=0 size=8
// about: pt_regs is read-only

	.section kprobe/do_nanosleep,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = 0
	*(u64 *)(r1 + 0) = r2
	r0 = 0
	exit
