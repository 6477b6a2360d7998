// intent: accept
// retval: 0
// about: 0xe5 is BPF_JCOND (may_goto +0)

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 0
	.quad 0x00000000000000e5
	exit
