/* __atomic builtins: relaxed RMW without result (lock forms), fetch forms, xchg, cmpxchg. */
long c11(long *p, int *q, long v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
	__atomic_fetch_or(p + 1, v, __ATOMIC_RELAXED);
	__atomic_fetch_and(q, 7, __ATOMIC_RELAXED);
	__atomic_fetch_xor(q + 1, 3, __ATOMIC_RELAXED);
	long r = __atomic_fetch_add(p + 2, 1, __ATOMIC_SEQ_CST);
	r += __atomic_fetch_sub(p + 3, v, __ATOMIC_SEQ_CST);
	r += __atomic_exchange_n(p + 4, v, __ATOMIC_SEQ_CST);
	r += __atomic_exchange_n(q + 2, 5, __ATOMIC_SEQ_CST);
	long expected = 10;
	__atomic_compare_exchange_n(p + 5, &expected, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	int e32 = 4;
	__atomic_compare_exchange_n(q + 3, &e32, 6, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return r + expected + e32;
}
