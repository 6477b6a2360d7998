// intent: reject
// expect: BPF_MOV uses reserved fields

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	.quad 0x00000000000010b7
	exit
