// intent: reject
// expect: infinite loop detected

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 0
loop:
	goto loop
