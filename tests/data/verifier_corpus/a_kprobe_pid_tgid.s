// intent: accept
// about: bpf_get_current_pid_tgid

	.section kprobe/do_nanosleep,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	call 14
	r0 >>= 32
	r0 = 0
	exit
