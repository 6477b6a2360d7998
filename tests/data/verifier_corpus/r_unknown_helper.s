// intent: reject
// expect: invalid func unknown#9999

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	call 9999
	exit
