// intent: reject
// expect: the call stack of 9 frames is too deep
// about: self-recursion is caught by the frame limit

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	call f
	r0 = 0
	exit
f:
	call f
	exit
