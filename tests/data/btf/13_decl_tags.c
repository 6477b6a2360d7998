#define TAG(x) __attribute__((btf_decl_tag(x)))
struct tagged { int a TAG("member_a"); long b; } TAG("on_struct");
struct tagged t TAG("on_var");
int TAG("fn_tag") tagged_fn(int x TAG("arg_x"), struct tagged *p TAG("arg:ctx")) { return x + p->a; }
