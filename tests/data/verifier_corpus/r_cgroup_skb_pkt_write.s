// intent: reject
// expect: cannot write into packet

	.section cgroup_skb/ingress,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = *(u32 *)(r1 + 76)
	r3 = *(u32 *)(r1 + 80)
	r0 = r2
	r0 += 1
	if r0 > r3 goto out
	*(u8 *)(r2 + 0) = 1
out:
	r0 = 1
	exit
