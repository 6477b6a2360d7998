int bss_var;
int data_var = 5;
const volatile int ro_var = 7;
static int static_var = 3;
char buf[64] __attribute__((section(".data.custom")));
int use(void) { return static_var + ro_var; }
