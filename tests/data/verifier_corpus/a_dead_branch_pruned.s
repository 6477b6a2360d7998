// intent: accept
// retval: 0
// about: the branch that would read uninitialised r2 is never taken

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = 1
	if r1 == 1 goto ok
	r0 = *(u64 *)(r2 + 0)
ok:
	r0 = 0
	exit
