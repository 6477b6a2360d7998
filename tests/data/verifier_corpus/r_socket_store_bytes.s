// intent: reject
// expect: program of this type cannot use helper bpf_skb_store_bytes#9
// about: helper not available to socket filters

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = 0
	r3 = r10
	r3 += -8
	r4 = 1
	r5 = 0
	call 9
	r0 = 0
	exit
