static __attribute__((noinline)) int helper(int a, long b) { return a + b; }
int global_fn(unsigned char x, short y) { return helper(x, y); }
__attribute__((section("tc"))) int prog(void *ctx) { return global_fn(1, 2); }
