// intent: reject
// expect: last insn is not an exit or jmp
// about: main falls through into its callee

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 0
	call f
f:
	r0 = 1
	exit
