// intent: reject
// expect: last insn is not an exit or jmp

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 0
