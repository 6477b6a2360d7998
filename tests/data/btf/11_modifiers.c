const int ci = 3;
volatile int vi;
int * restrict rp;
const volatile unsigned long cvul;
const char * const * volatile pp;
