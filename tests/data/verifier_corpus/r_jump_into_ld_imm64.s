// intent: reject
// expect: jump into the middle of ldimm64 insn

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 0
	if r0 == 0 goto +1
	r1 = 0 ll
	exit
