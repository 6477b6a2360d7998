// intent: reject
// expect: invalid bpf_context access off=0 size=8
// about: the first 8 bytes (common fields) are not readable

	.section tracepoint/syscalls/sys_enter_nanosleep,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = *(u64 *)(r1 + 0)
	r0 = 0
	exit
