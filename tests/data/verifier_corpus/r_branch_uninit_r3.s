// intent: reject
// expect: R3 !read_ok
// about: register initialised on one path only

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	call 7
	if r0 == 0 goto skip
	r3 = 1
skip:
	r0 = r3
	exit
