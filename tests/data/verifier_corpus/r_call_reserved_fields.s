// intent: reject
// expect: BPF_CALL uses reserved fields

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	.quad 0x0000000500010085
	r0 = 0
	exit
