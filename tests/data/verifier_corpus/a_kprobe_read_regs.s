// intent: accept
// about: kprobe ctx is struct pt_regs (di at 112); loads need no attach

	.section kprobe/do_nanosleep,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = *(u64 *)(r1 + 112)
	r0 = 0
	exit
