// intent: accept
// about: root may leak a pointer as return value

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = r10
	exit
