#define __tag(x) __attribute__((btf_type_tag(x)))
#define __dtag(x) __attribute__((btf_decl_tag(x)))
struct s { int __tag("percpu") *p __dtag("field"); } __dtag("struct_tag");
struct s var __dtag("comment:1:test_expect_success") __dtag("comment:2:test_retval=0");
int __dtag("comment:test_expect_msg=hello") fn(struct s *x __dtag("arg:ctx")) { return !!x->p; }
