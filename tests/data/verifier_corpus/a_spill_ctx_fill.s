// intent: accept
// retval: 50
// about: spilled ctx pointer keeps its type; skb->len of the 64-byte packet minus eth

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u64 *)(r10 - 8) = r1
	r1 = *(u64 *)(r10 - 8)
	r0 = *(u32 *)(r1 + 0)
	exit
