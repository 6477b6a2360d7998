// intent: reject
// expect: invalid bpf_context access off=168 size=8
// about: sizeof(struct pt_regs) == 168

	.section kprobe/do_nanosleep,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = *(u64 *)(r1 + 168)
	r0 = 0
	exit
