// intent: accept

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	call 7
	r6 = r0
	r0 = 0
	if r6 > 10 goto big
	r0 = 1
big:
	if r6 > 20 goto bigger
	r0 += 2
bigger:
	exit
