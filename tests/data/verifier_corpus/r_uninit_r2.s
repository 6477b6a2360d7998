// intent: reject
// expect: R2 !read_ok

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = r2
	exit
