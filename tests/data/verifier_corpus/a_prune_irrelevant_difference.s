// intent: accept
// retval: 0
// about: r7 is dead after the join: the second path is pruned

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	call 7
	r7 = 1
	if r0 == 0 goto join
	r7 = 2
join:
	r0 = 0
	exit
