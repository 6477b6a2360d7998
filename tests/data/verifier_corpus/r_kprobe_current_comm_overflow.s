// intent: reject
// expect: invalid write to stack R1 off=-8 size=16

	.section kprobe/do_nanosleep,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = r10
	r1 += -8
	r2 = 16
	call 16
	r0 = 0
	exit
