struct __attribute__((packed)) pk { char c; int i; short s; };
struct __attribute__((aligned(16))) al { int x; };
struct mix { char c; struct pk p; struct al a; };
struct mix mx;
