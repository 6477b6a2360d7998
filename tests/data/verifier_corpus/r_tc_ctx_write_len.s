// intent: reject
// expect: invalid bpf_context access off=0 size=4
// about: skb->len is read-only

	.section tc,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = 0
	*(u32 *)(r1 + 0) = r2
	r0 = 0
	exit
