// intent: reject
// expect: program of this type cannot use helper bpf_skb_load_bytes#26

	.section kprobe/do_nanosleep,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = 0
	r3 = r10
	r3 += -8
	r4 = 4
	call 26
	r0 = 0
	exit
