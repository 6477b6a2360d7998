// intent: reject
// expect: invalid bpf_context access off=4 size=8

	.section kprobe/do_nanosleep,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = *(u64 *)(r1 + 4)
	r0 = 0
	exit
