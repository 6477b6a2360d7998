// intent: reject
// expect: BPF program is too large
// about: 2^64 iterations: the verifier gives up at 1M insns

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = 0
	r0 = 0
loop:
	r1 += 1
	if r1 != 0 goto loop
	exit
