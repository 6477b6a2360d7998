extern int kf6(int a, int b, int c, int d, int e, int f) __attribute__((section(".ksyms")));
void *t6 = &kf6;
