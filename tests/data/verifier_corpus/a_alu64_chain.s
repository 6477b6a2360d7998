// intent: accept
// retval: 40
// about: 64-bit ALU with immediates

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 1
	r0 += 2
	r0 *= 7
	r0 -= 1
	r0 <<= 2
	r0 >>= 1
	exit
