// intent: reject
// expect: invalid bpf_context access off=8192 size=8
// about: PERF_MAX_TRACE_SIZE is 8192

	.section tracepoint/syscalls/sys_enter_nanosleep,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = *(u64 *)(r1 + 8192)
	r0 = 0
	exit
