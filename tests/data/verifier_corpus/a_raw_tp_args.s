// intent: accept
// about: raw tracepoint ctx is an array of u64 arguments

	.section raw_tp/sys_enter,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = *(u64 *)(r1 + 8)
	r0 = 0
	exit
