// intent: reject
// expect: invalid bpf_ld_imm64 insn

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 0
	.quad 0x0000000000000118
	exit
	exit
