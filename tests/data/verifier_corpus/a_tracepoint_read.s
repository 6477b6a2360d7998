// intent: accept

	.section tracepoint/syscalls/sys_enter_nanosleep,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = *(u64 *)(r1 + 8)
	r0 = 0
	exit
