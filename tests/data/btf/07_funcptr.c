typedef int (*cmp_fn)(const void *, const void *);
struct ops {
	void (*init)(void);
	int (*run)(int a, char *b, unsigned long c);
	cmp_fn cmp;
	void *(*alloc)(unsigned long size, int flags);
};
struct ops ops;
int (*table[4])(int);
