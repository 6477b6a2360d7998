// intent: reject
// expect: R11 is invalid
// about: mov r0, r11 (no stack-arg support in this kernel)

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	.quad 0x000000000000b0bf
	exit
