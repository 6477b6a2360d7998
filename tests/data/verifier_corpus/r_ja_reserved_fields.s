// intent: reject
// expect: BPF_JA uses reserved fields

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 0
	.quad 0x0000000100000005
	exit
