/* a kfunc-flavoured prototype file: names carry the kernel's suffix conventions */
#define KS __attribute__((section(".ksyms")))
struct bpf_dynptr { unsigned long long __opaque[2]; } __attribute__((aligned(8)));
struct bpf_timer { unsigned long long __opaque[2]; } __attribute__((aligned(8)));
extern int bpf_kf_mem(void *mem, unsigned int mem__sz, const char *name__str, int k__k,
		      void *unused__ign, struct bpf_dynptr *d, struct bpf_timer *t) KS;
void *tab[] = { &bpf_kf_mem };
