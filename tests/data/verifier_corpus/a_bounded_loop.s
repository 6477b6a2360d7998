// intent: accept
// retval: 55
// about: bounded loop, privileged

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 0
	r1 = 10
loop:
	r0 += r1
	r1 -= 1
	if r1 != 0 goto loop
	exit
