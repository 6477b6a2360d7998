// intent: reject
// expect: R7 invalid mem access 'scalar'
// about: bpf_skb_pull_data invalidates packet pointers

	.section tc,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r6 = r1
	r2 = *(u32 *)(r6 + 76)
	r3 = *(u32 *)(r6 + 80)
	r0 = r2
	r0 += 14
	if r0 > r3 goto out
	r7 = r2
	r1 = r6
	r2 = 0
	call 39
	r0 = *(u8 *)(r7 + 0)
	exit
out:
	r0 = 0
	exit
