// intent: reject
// expect: R1 type=scalar expected=sock_common

	.section tc,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = 0
	call 86
	r0 = 0
	exit
