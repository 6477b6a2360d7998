// intent: reject
// expect: BPF_LD_[ABS|IND] instructions not allowed for this program type

	.section xdp,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r6 = r1
	r0 = *(u8 *)skb[0]
	exit
