/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF-side declarations of the mock kernel's bpf_testmod kfuncs, as the
 * selftests' test_kmods/bpf_testmod_kfunc.h declares them (the __u64
 * spelling, __ksym).  Only kfuncs the mock kernel provides are declared
 * (pipeline/kernel/testmod/, plus bpf_kfunc_call_test_release from
 * pipeline/kernel/core/).
 *
 * The stack-argument kfuncs (more than five arguments) are declared
 * unconditionally: a compiler without __BPF_FEATURE_STACK_ARGUMENT simply
 * cannot call them, while the declaration itself is harmless.
 *
 * Without vmlinux.h the types come from the UAPI <linux/bpf.h> (struct
 * __sk_buff, bpf_dynptr, bpf_timer); the kernel-internal structs the header
 * needs are defined here unless vmlinux.h already did.
 */
#ifndef _BPF_TESTMOD_KFUNC_H
#define _BPF_TESTMOD_KFUNC_H

#ifndef __VMLINUX_H__
#include <linux/bpf.h>

typedef struct {
	int counter;
} atomic_t;

typedef struct refcount_struct {
	atomic_t refs;
} refcount_t;

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
#endif /* __VMLINUX_H__ */

#include <bpf/bpf_helpers.h>

/* Opaque on the BPF side; programs define it as two `__u64 :64` fields. */
struct bpf_iter_testmod_seq;

struct prog_test_pass1 {
	int x0;
	struct {
		int x1;
		struct {
			int x2;
			struct {
				int x3;
			};
		};
	};
};

struct prog_test_big_arg {
	__u64 a;
	__u64 b;
};

struct prog_test_ref_kfunc *
bpf_kfunc_call_test_acquire(unsigned long *scalar_ptr) __ksym;
void bpf_kfunc_call_test_release(struct prog_test_ref_kfunc *p) __ksym;

__u64 bpf_kfunc_arena_stack_arg_test(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
				     __u64 *f__arena) __ksym;

__u64 bpf_kfunc_call_stack_arg(__u64 a, __u64 b, __u64 c, __u64 d,
			       __u64 e, __u64 f, __u64 g, __u64 h,
			       __u64 i, __u64 j) __ksym;
__u64 bpf_kfunc_call_stack_arg_ptr(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
				   __u64 f, __u64 g, __u64 h, __u64 i,
				   struct prog_test_pass1 *p) __ksym;
__u64 bpf_kfunc_call_stack_arg_mix(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
				   __u64 f, __u64 g,
				   struct prog_test_pass1 *p, __u64 h,
				   struct prog_test_pass1 *q) __ksym;
__u64 bpf_kfunc_call_stack_arg_dynptr(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
				      __u64 f, __u64 g, __u64 h, __u64 i,
				      struct bpf_dynptr *ptr) __ksym;
__u64 bpf_kfunc_call_stack_arg_mem(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
				   void *mem, int mem__sz) __ksym;
__u64 bpf_kfunc_call_stack_arg_iter(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
				    __u64 f, __u64 g, __u64 h, __u64 i,
				    struct bpf_iter_testmod_seq *it__iter) __ksym;
__u64 bpf_kfunc_call_stack_arg_const_str(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
					 __u64 f, __u64 g, __u64 h, __u64 i,
					 const char *str__str) __ksym;
__u64 bpf_kfunc_call_stack_arg_timer(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
				     __u64 f, __u64 g, __u64 h, __u64 i,
				     struct bpf_timer *timer) __ksym;
__u64 bpf_kfunc_call_stack_arg_big(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
				   struct prog_test_big_arg s) __ksym;

#endif /* _BPF_TESTMOD_KFUNC_H */
