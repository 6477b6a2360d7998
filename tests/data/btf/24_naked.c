__attribute__((naked)) int sub6(int a, int b, int c, int d, int e, int f) { asm volatile("r0 = 0; exit;"); }
__attribute__((naked)) long sub12(long a, long b, long c, long d, long e, long f,
                                  long g, long h, long i, long j, long k, long l) { asm volatile("r0 = 0; exit;"); }
__attribute__((section("tc"))) int prog(void *ctx) { return 0; }
