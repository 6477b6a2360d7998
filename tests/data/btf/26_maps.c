#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
struct { __uint(type, 1); __uint(max_entries, 16); __type(key, int); __type(value, long); }
	hmap __attribute__((section(".maps")));
struct { __uint(type, 2); __uint(max_entries, 4); __type(key, unsigned); __type(value, struct { int a; char b[3]; }); }
	amap __attribute__((section(".maps")));
