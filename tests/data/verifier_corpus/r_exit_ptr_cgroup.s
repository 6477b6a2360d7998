// intent: reject
// expect: R0 is not a known value

	.section cgroup_skb/ingress,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = r10
	exit
