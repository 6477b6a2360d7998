// SPDX-License-Identifier: GPL-2.0
/*
 * A small extra "kernel" for the verifier's kfunc tests
 * (tests/verifier/test_kfunc_args.py): prototypes for the argument classes
 * the mock kernel's kfuncs do not exercise (__k, __szk, __nullable, a
 * by-value struct in a register, a release through a stack slot, a BTF-id
 * argument in a stack slot, KF_SLEEPABLE, ctx).  Compiled to BTF like the
 * mock kernel (pipeline/kernel/build.py); the bodies never run.
 */
#include "../../../pipeline/kernel/core/kernel_types.h"

struct tk_obj {
	int a;
	int b;
	struct tk_obj *next;
};

struct tk_pair {
	int x;
	int y;
};

__bpf_kfunc u64 tk_const(u64 a, u64 k__k)
{
	return a + k__k;
}

__bpf_kfunc u64 tk_const_slot(u64 a, u64 b, u64 c, u64 d, u64 e, u64 k__k)
{
	return a + b + c + d + e + k__k;
}

__bpf_kfunc u64 tk_mem_szk(void *mem, int mem__szk)
{
	return ((unsigned char *)mem)[0] + mem__szk;
}

__bpf_kfunc u64 tk_nullable(struct tk_pair *p__nullable)
{
	return p__nullable ? p__nullable->x : 0;
}

__bpf_kfunc u64 tk_pair_ptr(struct tk_pair *p)
{
	return p->x + p->y;
}

__bpf_kfunc u64 tk_by_value(struct tk_pair p)
{
	return p.x + p.y;
}

__bpf_kfunc struct tk_obj *tk_acquire(void)
{
	return NULL;
}

__bpf_kfunc void tk_release(struct tk_obj *o)
{
	o->a = 0;
}

__bpf_kfunc void tk_release_slot(u64 a, u64 b, u64 c, u64 d, u64 e, struct tk_obj *o)
{
	o->a = a + b + c + d + e;
}

__bpf_kfunc u64 tk_obj_slot(u64 a, u64 b, u64 c, u64 d, u64 e, struct tk_obj *o)
{
	return a + b + c + d + e + o->b;
}

__bpf_kfunc u64 tk_sleepable(void)
{
	return 0;
}

__bpf_kfunc u64 tk_ctx(struct __sk_buff *skb)
{
	return skb ? 1 : 0;
}

__bpf_kfunc u64 tk_twelve(u64 a, u64 b, u64 c, u64 d, u64 e, u64 f, u64 g, u64 h, u64 i,
			  u64 j, u64 k, u64 l)
{
	return a + b + c + d + e + f + g + h + i + j + k + l;
}
