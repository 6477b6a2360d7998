// intent: accept
// about: a loop whose trip count is 0..15: explored once per possible count

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	call 7
	r1 = r0
	r1 &= 15
	r0 = 0
loop:
	if r1 == 0 goto done
	r0 += 2
	r1 -= 1
	goto loop
done:
	exit
