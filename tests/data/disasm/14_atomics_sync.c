/* Legacy __sync builtins: lock add (result unused) and fetch forms. */
long sync_ops(long *p, int *q, long v)
{
	__sync_fetch_and_add(p, v);
	__sync_fetch_and_add(q, 3);
	long old = __sync_fetch_and_add(p + 1, 5);
	old += __sync_fetch_and_or(p + 2, v);
	old += __sync_fetch_and_and(p + 3, 0xff);
	old += __sync_fetch_and_xor(q + 1, 9);
	old += __sync_val_compare_and_swap(p + 4, old, v);
	old += __sync_lock_test_and_set(p + 5, 1);
	return old;
}
