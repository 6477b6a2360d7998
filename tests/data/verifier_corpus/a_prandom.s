// intent: accept
// about: bpf_get_prandom_u32

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	call 7
	r0 &= 1
	exit
