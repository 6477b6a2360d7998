// flags: -mcpu=v4
/* load_acquire / store_release at every size (cpu v4). */
long acq_rel(long *p, int *q, short *h, char *b, long v)
{
	long r = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	r += __atomic_load_n(q, __ATOMIC_ACQUIRE);
	r += __atomic_load_n(h, __ATOMIC_ACQUIRE);
	r += __atomic_load_n(b, __ATOMIC_ACQUIRE);
	__atomic_store_n(p + 1, v, __ATOMIC_RELEASE);
	__atomic_store_n(q + 1, (int)v, __ATOMIC_RELEASE);
	__atomic_store_n(h + 1, (short)v, __ATOMIC_RELEASE);
	__atomic_store_n(b + 1, (char)v, __ATOMIC_RELEASE);
	return r;
}
