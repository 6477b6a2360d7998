// SPDX-License-Identifier: GPL-2.0
/*
 * Local objects and BPF graphs (kernel/bpf/helpers.c generic_btf_ids):
 * bpf_obj_new_impl / bpf_obj_drop_impl / bpf_refcount_acquire_impl, the
 * linked-list and rbtree kfuncs.  Included by kfuncs.c, so it compiles into
 * the same translation unit (pipeline/kernel/build.py builds one per module).
 * As everywhere here the bodies never run: the verifier models these kfuncs
 * (verifier/graph.py) and a run is refused before it starts (core/graph.py).
 * The prototypes follow the kernel's; the bodies only keep the arguments live.
 */

struct bpf_list_head {
	__u64 __opaque[2];
} __attribute__((aligned(8)));

struct bpf_list_node {
	__u64 __opaque[3];
} __attribute__((aligned(8)));

struct bpf_rb_root {
	__u64 __opaque[2];
} __attribute__((aligned(8)));

struct bpf_rb_node {
	__u64 __opaque[4];
} __attribute__((aligned(8)));

__bpf_kfunc void *bpf_obj_new_impl(u64 local_type_id__k, void *meta__ign)
{
	return meta__ign ? (void *)(unsigned long)local_type_id__k : 0;
}

__bpf_kfunc void bpf_obj_drop_impl(void *p__alloc, void *meta__ign)
{
	*(volatile char *)p__alloc = meta__ign != 0;
}

__bpf_kfunc void *bpf_refcount_acquire_impl(void *p__refcounted_kptr, void *meta__ign)
{
	return meta__ign ? p__refcounted_kptr : 0;
}

__bpf_kfunc int bpf_list_push_front_impl(struct bpf_list_head *head,
					 struct bpf_list_node *node,
					 void *meta__ign, u64 off)
{
	head->__opaque[0] = (unsigned long)node + off + (meta__ign != 0);
	return 0;
}

__bpf_kfunc int bpf_list_push_back_impl(struct bpf_list_head *head,
					struct bpf_list_node *node,
					void *meta__ign, u64 off)
{
	head->__opaque[1] = (unsigned long)node + off + (meta__ign != 0);
	return 0;
}

__bpf_kfunc struct bpf_list_node *bpf_list_pop_front(struct bpf_list_head *head)
{
	return (struct bpf_list_node *)(unsigned long)head->__opaque[0];
}

__bpf_kfunc struct bpf_list_node *bpf_list_pop_back(struct bpf_list_head *head)
{
	return (struct bpf_list_node *)(unsigned long)head->__opaque[1];
}

__bpf_kfunc struct bpf_rb_node *bpf_rbtree_remove(struct bpf_rb_root *root,
						  struct bpf_rb_node *node)
{
	return root->__opaque[0] ? node : 0;
}

__bpf_kfunc int bpf_rbtree_add_impl(struct bpf_rb_root *root, struct bpf_rb_node *node,
				    bool (less)(struct bpf_rb_node *a, const struct bpf_rb_node *b),
				    void *meta__ign, u64 off)
{
	return less(node, node) + (int)off + (meta__ign != 0) + (int)root->__opaque[0];
}

__bpf_kfunc struct bpf_rb_node *bpf_rbtree_first(struct bpf_rb_root *root)
{
	return (struct bpf_rb_node *)(unsigned long)root->__opaque[0];
}
