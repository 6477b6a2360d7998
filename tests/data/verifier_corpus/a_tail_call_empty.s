// intent: accept
// retval: 0
// map: pa prog_array 4 4 1
// about: tail call into an empty slot falls through

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r2 = pa ll
	r3 = 0
	call 12
	r0 = 0
	exit
