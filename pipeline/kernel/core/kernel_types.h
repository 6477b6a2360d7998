/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-side types the mock kernel's kfunc prototypes use, as the running
 * kernel's BTF (vmlinux) describes them.  Compiled into the "kernel BTF"
 * together with every module's kfuncs.c (see pipeline/kernel/build.py).
 *
 * Why our own definitions instead of the host's <linux/bpf.h>: the kernel
 * BTF must not depend on how old the build machine's UAPI headers are.  An
 * older <linux/bpf.h> spells struct bpf_dynptr as two unnamed bitfields and
 * has no struct bpf_iter_num at all; the kernel of the stack-argument
 * series (bpf-next, 2026) has the `__opaque` array forms below.  Layouts are
 * checked against /sys/kernel/btf/vmlinux by tests/kernel_mock.
 */
#ifndef __STACKARGS_KERNEL_TYPES_H
#define __STACKARGS_KERNEL_TYPES_H

/* The kernel's integer typedef chains (u64 -> __u64 -> unsigned long long). */
typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;
typedef _Bool bool;

#define NULL ((void *)0)
#define EINVAL 22

/* __bpf_kfunc: kernel functions callable from BPF are noinline, kept, and
 * carry the "bpf_kfunc" decl tag (include/linux/btf.h), which vmlinux BTF
 * shows on every kfunc. */
#define __bpf_kfunc __attribute__((noinline, used, btf_decl_tag("bpf_kfunc")))

/* ---- UAPI (include/uapi/linux/bpf.h) ---- */

/* Opaque to BPF programs; the kernel views it as struct bpf_dynptr_kern. */
struct bpf_dynptr {
	__u64 __opaque[2];
} __attribute__((aligned(8)));

struct bpf_timer {
	__u64 __opaque[2];
} __attribute__((aligned(8)));

/* Open-coded numeric iterator state; kernel view: { int cur; int end; }. */
struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

struct bpf_flow_keys;
struct bpf_sock;

/* A pointer field that is always 8 bytes, as __bpf_md_ptr() makes it. */
#define __bpf_md_ptr(type, name)	\
union {					\
	type name;			\
	__u64 :64;			\
} __attribute__((aligned(8)))

/* The context of skb programs (tc, socket filters, cgroup_skb, ...).  The
 * mock kernel's bpf_dynptr_from_skb reads the packet length from `len`. */
struct __sk_buff {
	__u32 len;
	__u32 pkt_type;
	__u32 mark;
	__u32 queue_mapping;
	__u32 protocol;
	__u32 vlan_present;
	__u32 vlan_tci;
	__u32 vlan_proto;
	__u32 priority;
	__u32 ingress_ifindex;
	__u32 ifindex;
	__u32 tc_index;
	__u32 cb[5];
	__u32 hash;
	__u32 tc_classid;
	__u32 data;
	__u32 data_end;
	__u32 napi_id;
	__u32 family;
	__u32 remote_ip4;
	__u32 local_ip4;
	__u32 remote_ip6[4];
	__u32 local_ip6[4];
	__u32 remote_port;
	__u32 local_port;
	__u32 data_meta;
	__bpf_md_ptr(struct bpf_flow_keys *, flow_keys);
	__u64 tstamp;
	__u32 wire_len;
	__u32 gso_segs;
	__bpf_md_ptr(struct bpf_sock *, sk);
	__u32 gso_size;
	__u8  tstamp_type;
	__u32 :24;
	__u64 hwtstamp;
};

/* ---- kernel-internal (include/linux/bpf.h, refcount.h) ---- */

/* What a struct bpf_dynptr is inside the kernel.  `size` holds the length
 * in its low 24 bits, the dynptr type at bit 28 and read-only at bit 31. */
struct bpf_dynptr_kern {
	void *data;
	u32 size;
	u32 offset;
} __attribute__((aligned(8)));

enum bpf_dynptr_type {
	BPF_DYNPTR_TYPE_INVALID,
	BPF_DYNPTR_TYPE_LOCAL,
	BPF_DYNPTR_TYPE_RINGBUF,
	BPF_DYNPTR_TYPE_SKB,
	BPF_DYNPTR_TYPE_XDP,
	BPF_DYNPTR_TYPE_SKB_META,
};

typedef struct {
	int counter;
} atomic_t;

typedef struct refcount_struct {
	atomic_t refs;
} refcount_t;

/* net/bpf/test_run.c: the object the test acquire/release kfuncs hand out. */
struct prog_test_member1 {
	int a;
};

struct prog_test_member {
	struct prog_test_member1 m;
	int c;
};

struct prog_test_ref_kfunc {
	int a;
	int b;
	struct prog_test_member memb;
	struct prog_test_ref_kfunc *next;
	refcount_t cnt;
};

/* ---- dynptr kfuncs and the bits iterator (issue #12) ---- */

/* The xdp context (UAPI struct xdp_md): bpf_dynptr_from_xdp's first argument. */
struct xdp_md {
	__u32 data;
	__u32 data_end;
	__u32 data_meta;
	__u32 ingress_ifindex;
	__u32 rx_queue_index;
	__u32 egress_ifindex;
};

/* Open-coded bits iterator state (kernel/bpf/helpers.c); kernel view:
 * struct bpf_iter_bits_kern { union { u64 *bits; u64 bits_copy; }; int nr_bits; int bit; }. */
struct bpf_iter_bits {
	__u64 __opaque[2];
} __attribute__((aligned(8)));


#endif /* __STACKARGS_KERNEL_TYPES_H */
