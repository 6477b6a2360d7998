struct st { int a; };
union un { int a; float b; };
enum en { E1, E2 };
typedef struct st st_t;
extern int kmix(char a, unsigned short b, const int *c, struct st *d, union un *e,
		enum en f, st_t *g, void *h, unsigned long i) __attribute__((section(".ksyms")));
void *p = &kmix;
