/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF-side declarations of the mock kernel's core dynptr kfuncs, as the
 * selftests' bpf_kfuncs.h declares them (weak: a program can test for them).
 * The numeric iterator (bpf_iter_num_*) is declared by libbpf's
 * <bpf/bpf_helpers.h> on recent libbpf; older copies lack it, so it is
 * declared here too, with the same prototypes.  struct bpf_iter_num itself
 * is UAPI only since Linux 6.4: with an older <linux/bpf.h> the program must
 * define it ({ __u64 __opaque[1]; } aligned 8), as vmlinux.h would.
 */
#ifndef __STACKARGS_BPF_KFUNCS_H
#define __STACKARGS_BPF_KFUNCS_H

#ifndef __VMLINUX_H__
#include <linux/bpf.h>
#endif
#include <bpf/bpf_helpers.h>

extern int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags,
			       struct bpf_dynptr *ptr__uninit) __weak __ksym;
extern __u64 bpf_dynptr_size(const struct bpf_dynptr *p) __weak __ksym;

struct bpf_iter_num;
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __weak __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;

#endif /* __STACKARGS_BPF_KFUNCS_H */
