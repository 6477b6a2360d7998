// intent: accept
// retval: 6
// about: legacy LD_ABS: offsets start at the network header in a socket-filter test run (skb[9] = IPv4 protocol)

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r6 = r1
	r0 = *(u8 *)skb[9]
	exit
