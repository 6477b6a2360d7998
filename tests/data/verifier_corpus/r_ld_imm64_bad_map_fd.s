// intent: reject
// expect: fd 99999 is not pointing to valid bpf_map
// about: BPF_PSEUDO_MAP_FD with an fd that is not open

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	.quad 0x0001869f00001118
	.quad 0
	r0 = 0
	exit
