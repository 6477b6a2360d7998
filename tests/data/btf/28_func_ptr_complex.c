typedef void (*handler_t)(int);
handler_t (*signal_like)(int, handler_t);
int (*(*fparr)[3])(char);
void (*const cfp)(void) = 0;
struct cb { int (*fns[2])(struct cb *, ...); } cbs;
