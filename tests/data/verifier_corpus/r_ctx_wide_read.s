// intent: reject
// expect: invalid bpf_context access off=0 size=8
// about: skb->len is a 4-byte field

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = *(u64 *)(r1 + 0)
	exit
