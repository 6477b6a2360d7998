// intent: accept
// retval: 1
// about: cgroup_skb reads the packet from the IP header (0x45 & 1)

	.section cgroup_skb/ingress,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = *(u32 *)(r1 + 76)
	r3 = *(u32 *)(r1 + 80)
	r0 = r2
	r0 += 1
	if r0 > r3 goto out
	r0 = *(u8 *)(r2 + 0)
	r0 &= 1
	exit
out:
	r0 = 0
	exit
