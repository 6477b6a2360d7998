// intent: reject
// expect: R0 !read_ok
// about: subprogram exits without r0

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	call f
	exit
f:
	exit
