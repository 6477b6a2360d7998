// intent: accept
// retval: 50
// about: legacy LD_IND: skb[2..3] = IPv4 total length

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r6 = r1
	r7 = 2
	r0 = *(u16 *)skb[r7]
	exit
