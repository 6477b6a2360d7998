// flags: -mcpu=v4
/* Atomics on cpu v4, including 32-bit fetch forms and sub (neg + fetch_add). */
int atomics32(int *p, long *q, int v)
{
	int r = __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
	r += __atomic_fetch_sub(p + 1, v, __ATOMIC_SEQ_CST);
	r += __atomic_fetch_and(p + 2, v, __ATOMIC_SEQ_CST);
	r += __atomic_fetch_or(p + 3, v, __ATOMIC_SEQ_CST);
	r += __atomic_fetch_xor(p + 4, v, __ATOMIC_SEQ_CST);
	r += (int)__atomic_fetch_xor(q, 1, __ATOMIC_SEQ_CST);
	return r;
}
