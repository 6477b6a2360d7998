// intent: reject
// expect: R6 !read_ok
// about: callee-saved registers are not visible to the callee

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r6 = 1
	call f
	exit
f:
	r0 = r6
	exit
