// intent: accept
// about: bpf_perf_event_data: regs (168 bytes) then sample_period

	.section perf_event,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = *(u64 *)(r1 + 168)
	r0 = 0
	exit
