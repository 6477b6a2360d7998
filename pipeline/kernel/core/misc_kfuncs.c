// SPDX-License-Identifier: GPL-2.0
/*
 * Kfuncs of iterators, sockets and user memory that no run of the mock kernel
 * reaches: kernel/bpf/map_iter.c (bpf_map_sum_elem_count, every program type),
 * net/core/filter.c (bpf_sock_destroy, tracing iterators only) and
 * kernel/bpf/helpers.c common_btf_ids (bpf_copy_from_user_str, sleepable).
 * Included at the end of kfuncs.c; the object types are placeholders matched
 * by kind and name against the target BTF (misc_kfuncs.py).
 */

struct bpf_map {
	u32 map_type;
};

struct sock_common {
	u16 skc_family;
};

__bpf_kfunc s64 bpf_map_sum_elem_count(const struct bpf_map *map) { return 0; }
__bpf_kfunc int bpf_sock_destroy(struct sock_common *sock) { return 0; }
__bpf_kfunc int bpf_copy_from_user_str(void *dst, u32 dst__sz,
				       const void *unsafe_ptr__ign, u64 flags) { return 0; }
