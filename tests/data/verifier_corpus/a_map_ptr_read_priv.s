// intent: accept
// map: m array 4 8 1
// about: root may read struct bpf_map fields through a map pointer (BTF-typed access)

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = m ll
	r0 = *(u64 *)(r1 + 0)
	exit
