// intent: reject
// expect: BPF program is too large
// about: 2^64 iterations: the verifier gives up at 1M insns (a long body keeps the state count, and test time, small)

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = 0
	r0 = 0
loop:
	.rept 1000
	r0 += 1
	.endr
	r1 += 1
	if r1 != 0 goto loop
	exit
