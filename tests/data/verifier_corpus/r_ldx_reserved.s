// intent: reject
// expect: BPF_LDX uses reserved fields

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	.quad 0x0000000100010079
	r0 = 0
	exit
