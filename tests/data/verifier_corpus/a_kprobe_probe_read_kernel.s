// intent: accept
// about: bpf_probe_read_kernel of an unknown kernel address

	.section kprobe/do_nanosleep,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r3 = *(u64 *)(r1 + 112)
	r1 = r10
	r1 += -8
	r2 = 8
	call 113
	r0 = 0
	exit
