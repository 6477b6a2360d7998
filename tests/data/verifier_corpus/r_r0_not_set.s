// intent: reject
// expect: R0 !read_ok
// about: exit without writing r0

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	exit
