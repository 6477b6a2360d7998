// intent: reject
// expect: At program exit the register R0 has
// about: cgroup_skb must return 0..3

	.section cgroup_skb/ingress,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 5
	exit
