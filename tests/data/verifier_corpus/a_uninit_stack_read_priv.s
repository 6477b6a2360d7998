// intent: accept
// retval: 0
// about: root may read uninitialised stack (allow_uninit_stack)

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = *(u64 *)(r10 - 8)
	r0 = 0
	exit
