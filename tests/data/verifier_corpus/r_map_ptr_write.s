// intent: reject
// expect: only read from bpf_array is supported
// map: m array 4 8 1

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = m ll
	r2 = 0
	*(u64 *)(r1 + 0) = r2
	r0 = 0
	exit
