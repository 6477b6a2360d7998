#define KS __attribute__((section(".ksyms")))
struct pair { long lo, hi; };
struct small { int a; };
extern int kf_pair(int a, int b, int c, int d, int e, struct pair p, int g) KS;
extern int kf_split(int a, int b, int c, int d, struct pair p, int f) KS;
extern int kf_small(struct small s, int b, int c, int d, int e, int f, int g) KS;
extern __int128 kf_i128(__int128 a, int b, int c, int d, int e, __int128 f) KS;
void *tab[] = { &kf_pair, &kf_split, &kf_small, &kf_i128 };
