// intent: accept
// retval: 1
// about: BPF_ST into a writable ctx field (skb->mark) is allowed by recent kernels

	.section tc,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u32 *)(r1 + 8) = 1
	r0 = *(u32 *)(r1 + 8)
	exit
