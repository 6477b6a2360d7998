// intent: reject
// expect: unrecognized bpf_ld_imm64 insn

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	.quad 0x0000000000007018
	.quad 0
	r0 = 0
	exit
