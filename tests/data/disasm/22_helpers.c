/* Helper calls through constant function pointers (call imm = helper id). */
static void *(*map_lookup)(void *map, const void *key) = (void *)1;
static long (*ktime)(void) = (void *)5;
static unsigned int (*prandom)(void) = (void *)7;
static long (*trace_printk)(const char *fmt, unsigned int n, ...) = (void *)6;

long helpers(void *map)
{
	int key = 3;
	long *v = map_lookup(map, &key);
	long t = ktime() + prandom();
	if (v)
		t += *v;
	((long (*)(void *))14)(0);
	return t + ((long (*)(void *, int))211)(map, 1);
}
