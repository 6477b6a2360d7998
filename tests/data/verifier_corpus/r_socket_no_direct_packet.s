// intent: reject
// expect: invalid bpf_context access off=76 size=4
// about: socket filters have no skb->data

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = *(u32 *)(r1 + 76)
	exit
