// intent: reject
// expect: R4 !read_ok
// map: m array 4 8 1
// about: a helper with four arguments reads r4

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u32 *)(r10 - 4) = 0
	*(u64 *)(r10 - 16) = 0
	r2 = r10
	r2 += -4
	r3 = r10
	r3 += -16
	r1 = m ll
	call 2
	r0 = 0
	exit
