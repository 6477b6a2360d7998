// SPDX-License-Identifier: GPL-2.0
/*
 * Core-kernel kfuncs of the mock kernel: the kernel-side prototypes, compiled
 * to BTF as vmlinux BTF is for the real kernel (pipeline/kernel/build.py).
 * The code never runs: kfuncs execute as the Python functions registered in
 * core/kfuncs.py.  Bodies exist so that clang emits full prototypes with
 * parameter names, and they touch the kernel-internal views (struct
 * bpf_dynptr_kern, struct bpf_iter_num_kern) the way the kernel does.
 *
 * Prototypes follow the kernel of the stack-argument series (bpf-next 2026):
 *   net/core/filter.c      bpf_dynptr_from_skb
 *   kernel/bpf/helpers.c   bpf_dynptr_size (u64 since the 64-bit dynptr
 *                          sizes change; older kernels return __u32),
 *                          bpf_throw (never returns: it unwinds the program)
 *   kernel/bpf/bpf_iter.c  bpf_iter_num_new / _next / _destroy
 *   net/bpf/test_run.c     bpf_kfunc_call_test_release (the release half of
 *                          bpf_testmod's bpf_kfunc_call_test_acquire)
 */
#include "kernel_types.h"
#include "graph.c"	/* local objects and BPF graphs (generic_btf_ids) */

#define DYNPTR_TYPE_SHIFT	28
#define DYNPTR_SIZE_MASK	0xFFFFFF

/* kernel/bpf/bpf_iter.c's view of struct bpf_iter_num */
struct bpf_iter_num_kern {
	int cur;	/* current value, inclusive */
	int end;	/* final value, exclusive */
} __attribute__((aligned(8)));

/* Kernel-internal dynptr helpers (kernel/bpf/helpers.c).  Not kfuncs (no
 * bpf_kfunc tag, not registered): they are here, as in vmlinux BTF, because
 * their prototypes are what puts struct bpf_dynptr_kern and enum
 * bpf_dynptr_type into the BTF — clang emits BTF for function prototypes and
 * globals, not for types only used inside bodies. */
__attribute__((noinline, used))
void bpf_dynptr_init(struct bpf_dynptr_kern *ptr, void *data, enum bpf_dynptr_type type,
		     u32 offset, u32 size)
{
	ptr->data = data;
	ptr->offset = offset;
	ptr->size = size | ((u32)type << DYNPTR_TYPE_SHIFT);
}

__attribute__((noinline, used))
u32 __bpf_dynptr_size(const struct bpf_dynptr_kern *ptr)
{
	return ptr->size & DYNPTR_SIZE_MASK;
}

__bpf_kfunc int bpf_dynptr_from_skb(struct __sk_buff *s, u64 flags,
				    struct bpf_dynptr *ptr__uninit)
{
	struct bpf_dynptr_kern *ptr = (struct bpf_dynptr_kern *)ptr__uninit;

	if (flags) {
		bpf_dynptr_init(ptr, NULL, BPF_DYNPTR_TYPE_INVALID, 0, 0);
		return -EINVAL;
	}
	/* the kernel's data pointer is the struct sk_buff, and the size skb->len */
	bpf_dynptr_init(ptr, s, BPF_DYNPTR_TYPE_SKB, 0, s->len);
	return 0;
}

__bpf_kfunc u64 bpf_dynptr_size(const struct bpf_dynptr *p)
{
	const struct bpf_dynptr_kern *ptr = (const struct bpf_dynptr_kern *)p;

	if (!ptr->data)
		return -EINVAL;
	return __bpf_dynptr_size(ptr);
}

__bpf_kfunc int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end)
{
	struct bpf_iter_num_kern *s = (struct bpf_iter_num_kern *)it;

	s->cur = start - 1;
	s->end = end;
	return start > end ? -EINVAL : 0;
}

__bpf_kfunc int *bpf_iter_num_next(struct bpf_iter_num *it)
{
	struct bpf_iter_num_kern *s = (struct bpf_iter_num_kern *)it;

	return s->cur + 1 >= s->end ? NULL : &s->cur;
}

__bpf_kfunc void bpf_iter_num_destroy(struct bpf_iter_num *it)
{
	struct bpf_iter_num_kern *s = (struct bpf_iter_num_kern *)it;

	s->cur = s->end = 0;
}

/* the kernel walks the stack to the program's exception boundary and calls its
 * exception callback with the cookie; here the body only keeps the prototype */
__bpf_kfunc void bpf_throw(u64 cookie)
{
	volatile u64 c = cookie;

	(void)c;
}

__bpf_kfunc void bpf_kfunc_call_test_release(struct prog_test_ref_kfunc *p)
{
	p->cnt.refs.counter--;
}

/* ---- dynptr kfuncs and the bits iterator (issue #12) ----
 *   kernel/bpf/helpers.c   bpf_dynptr_slice / _slice_rdwr (KF_RET_NULL), bpf_dynptr_adjust,
 *                          bpf_dynptr_is_null, bpf_dynptr_is_rdonly, bpf_dynptr_clone,
 *                          bpf_iter_bits_new / _next / _destroy (common_btf_ids)
 *   net/core/filter.c      bpf_dynptr_from_xdp (bpf_kfunc_check_set_xdp)
 * Argument types as the running kernel's BTF has them (u32 offsets and sizes). */

#define DYNPTR_RDONLY_BIT	(1U << 31)

struct bpf_iter_bits_kern {
	union {
		u64 *bits;
		u64 bits_copy;
	};
	int nr_bits;
	int bit;
} __attribute__((aligned(8)));

__bpf_kfunc int bpf_dynptr_from_xdp(struct xdp_md *x, u64 flags, struct bpf_dynptr *ptr__uninit)
{
	struct bpf_dynptr_kern *ptr = (struct bpf_dynptr_kern *)ptr__uninit;

	if (flags) {
		bpf_dynptr_init(ptr, NULL, BPF_DYNPTR_TYPE_INVALID, 0, 0);
		return -EINVAL;
	}
	bpf_dynptr_init(ptr, x, BPF_DYNPTR_TYPE_XDP, 0, x->data_end - x->data);
	return 0;
}

__bpf_kfunc void *bpf_dynptr_slice(const struct bpf_dynptr *p, u32 offset, void *buffer__opt,
				   u32 buffer__szk)
{
	const struct bpf_dynptr_kern *ptr = (const struct bpf_dynptr_kern *)p;

	if (!ptr->data || offset + buffer__szk > __bpf_dynptr_size(ptr))
		return NULL;
	return (char *)ptr->data + ptr->offset + offset;
}

__bpf_kfunc void *bpf_dynptr_slice_rdwr(const struct bpf_dynptr *p, u32 offset,
					void *buffer__opt, u32 buffer__szk)
{
	const struct bpf_dynptr_kern *ptr = (const struct bpf_dynptr_kern *)p;

	if (!ptr->data || (ptr->size & DYNPTR_RDONLY_BIT))
		return NULL;
	return bpf_dynptr_slice(p, offset, buffer__opt, buffer__szk);
}

__bpf_kfunc int bpf_dynptr_adjust(const struct bpf_dynptr *p, u32 start, u32 end)
{
	struct bpf_dynptr_kern *ptr = (struct bpf_dynptr_kern *)p;

	if (!ptr->data)
		return -EINVAL;
	if (start > end || end > __bpf_dynptr_size(ptr))
		return -34;	/* ERANGE */
	ptr->offset += start;
	ptr->size = (ptr->size & ~DYNPTR_SIZE_MASK) | (end - start);
	return 0;
}

__bpf_kfunc bool bpf_dynptr_is_null(const struct bpf_dynptr *p)
{
	return !((const struct bpf_dynptr_kern *)p)->data;
}

__bpf_kfunc bool bpf_dynptr_is_rdonly(const struct bpf_dynptr *p)
{
	const struct bpf_dynptr_kern *ptr = (const struct bpf_dynptr_kern *)p;

	return ptr->data && (ptr->size & DYNPTR_RDONLY_BIT);
}

__bpf_kfunc int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit)
{
	const struct bpf_dynptr_kern *ptr = (const struct bpf_dynptr_kern *)p;
	struct bpf_dynptr_kern *clone = (struct bpf_dynptr_kern *)clone__uninit;

	if (!ptr->data) {
		bpf_dynptr_init(clone, NULL, BPF_DYNPTR_TYPE_INVALID, 0, 0);
		return -EINVAL;
	}
	*clone = *ptr;
	return 0;
}

__bpf_kfunc int bpf_iter_bits_new(struct bpf_iter_bits *it, const u64 *unsafe_ptr__ign,
				  u32 nr_words)
{
	struct bpf_iter_bits_kern *kit = (struct bpf_iter_bits_kern *)it;

	kit->nr_bits = 0;
	kit->bits_copy = 0;
	kit->bit = -1;
	if (!unsafe_ptr__ign || !nr_words)
		return -EINVAL;
	kit->bits_copy = *unsafe_ptr__ign;
	kit->nr_bits = nr_words * 64;
	return 0;
}

__bpf_kfunc int *bpf_iter_bits_next(struct bpf_iter_bits *it)
{
	struct bpf_iter_bits_kern *kit = (struct bpf_iter_bits_kern *)it;

	if (!kit->nr_bits || kit->bit >= kit->nr_bits)
		return NULL;
	kit->bit++;
	return &kit->bit;
}

__bpf_kfunc void bpf_iter_bits_destroy(struct bpf_iter_bits *it)
{
	struct bpf_iter_bits_kern *kit = (struct bpf_iter_bits_kern *)it;

	kit->nr_bits = 0;
}

/* tasks, cgroups, cpumasks, RCU and preemption: a file of their own */
#include "task_kfuncs.c"

/* TCP congestion control (struct_ops): a file of its own */
#include "tcp_ca_kfuncs.c"

/* map/socket iterators and user memory: verified, never run */
#include "misc_kfuncs.c"
