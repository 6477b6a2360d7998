// intent: reject
// expect: R1 !read_ok
// about: r1-r5 are scratched by a helper call

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = 1
	call 5
	r0 = r1
	exit
