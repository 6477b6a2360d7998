#define __user __attribute__((btf_type_tag("user")))
#define __rcu __attribute__((btf_type_tag("rcu")))
struct node { int v; struct node __rcu *next; };
int __user *uptr;
struct node __rcu *head;
const int __user * __rcu *mixed;
