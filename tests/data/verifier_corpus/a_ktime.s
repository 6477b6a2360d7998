// intent: accept
// retval: 0
// about: bpf_ktime_get_ns

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	call 5
	r0 = 0
	exit
