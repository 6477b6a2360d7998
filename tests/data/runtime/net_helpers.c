// SPDX-License-Identifier: GPL-2.0
/* Helpers whose results the live kernel's BPF_PROG_TEST_RUN gives for the same packet:
 * each program reads its arguments from the packet and returns one result. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define PKT(ctx, n)								\
	void *d = (void *)(long)(ctx)->data, *e = (void *)(long)(ctx)->data_end;	\
	if (d + (n) > e)							\
		return -1

/* strtol/strtoul: u32 flags, u8 length - 1 (low 5 bits), then up to 32 bytes of text */
#define STRTOX(NAME, FN, OUT)							\
SEC("xdp")									\
int NAME(struct xdp_md *ctx)							\
{										\
	long res = 0x5a5a5a5a5a5a5a5aL;						\
	char text[32];								\
	long ret;								\
	PKT(ctx, 5 + 32);							\
	__builtin_memcpy(text, d + 5, 32);					\
	ret = FN(text, (*(__u8 *)(d + 4) & 31) + 1, *(__u32 *)d, (void *)&res);	\
	return OUT;								\
}
STRTOX(strtol_ret, bpf_strtol, ret)
STRTOX(strtol_lo, bpf_strtol, (__u32)res)
STRTOX(strtol_hi, bpf_strtol, (__u32)((unsigned long)res >> 32))
STRTOX(strtoul_ret, bpf_strtoul, ret)
STRTOX(strtoul_lo, bpf_strtoul, (__u32)res)
STRTOX(strtoul_hi, bpf_strtoul, (__u32)((unsigned long)res >> 32))

/* check_mtu: u32 ifindex, u32 mtu_len in, s32 len_diff, u32 flags */
#define MTU(NAME, SEC_, CTX, OUT)						\
SEC(SEC_)									\
int NAME(CTX *ctx)								\
{										\
	__u32 mtu;								\
	long ret;								\
	PKT(ctx, 16);								\
	mtu = *(__u32 *)(d + 4);						\
	ret = bpf_check_mtu(ctx, *(__u32 *)d, &mtu, *(__s32 *)(d + 8),		\
			    *(__u32 *)(d + 12));				\
	return OUT;								\
}
MTU(mtu_xdp_ret, "xdp", struct xdp_md, ret)
MTU(mtu_xdp_len, "xdp", struct xdp_md, mtu)
MTU(mtu_tc_ret, "tc", struct __sk_buff, ret)
MTU(mtu_tc_len, "tc", struct __sk_buff, mtu)

/* redirect: u32 ifindex, u32 flags */
SEC("xdp")
int redirect_xdp(struct xdp_md *ctx)
{
	PKT(ctx, 8);
	return bpf_redirect(*(__u32 *)d, *(__u32 *)(d + 4));
}

SEC("tc")
int redirect_tc(struct __sk_buff *ctx)
{
	PKT(ctx, 8);
	return bpf_redirect(*(__u32 *)d, *(__u32 *)(d + 4));
}

/* csum_update: u32 csum; csum_level: four levels (bytes), one result byte each */
SEC("tc")
int csum_update_tc(struct __sk_buff *ctx)
{
	PKT(ctx, 4);
	return bpf_csum_update(ctx, *(__u32 *)d);
}

SEC("tc")
int csum_level_tc(struct __sk_buff *ctx)
{
	__u8 l0, l1, l2, l3;
	__u32 r;

	PKT(ctx, 4);
	l0 = *(__u8 *)d; l1 = *(__u8 *)(d + 1); l2 = *(__u8 *)(d + 2); l3 = *(__u8 *)(d + 3);
	r = bpf_csum_level(ctx, l0) & 0xff;
	r = r << 8 | (bpf_csum_level(ctx, l1) & 0xff);
	r = r << 8 | (bpf_csum_level(ctx, l2) & 0xff);
	r = r << 8 | (bpf_csum_level(ctx, l3) & 0xff);
	return r;
}

/* xdp buffer: u32 offset, u8 length - 1 (low 4 bits) */
SEC("xdp")
int xdp_buff_len(struct xdp_md *ctx)
{
	return bpf_xdp_get_buff_len(ctx);
}

SEC("xdp")
int xdp_load_ret(struct xdp_md *ctx)
{
	char buf[16] = {};
	PKT(ctx, 5);
	return bpf_xdp_load_bytes(ctx, *(__u32 *)d, buf, (*(__u8 *)(d + 4) & 15) + 1);
}

SEC("xdp")
int xdp_load_val(struct xdp_md *ctx)
{
	__u32 v = 0x5a5a5a5a;
	PKT(ctx, 4);
	bpf_xdp_load_bytes(ctx, *(__u32 *)d, &v, 4);
	return v;
}

SEC("xdp")
int xdp_store(struct xdp_md *ctx)
{
	__u32 v = 0x11223344;
	long ret;

	PKT(ctx, 4);
	ret = bpf_xdp_store_bytes(ctx, *(__u32 *)d, &v, 4);
	{
		PKT(ctx, 16);
		return ret < 0 ? ret : *(__u32 *)(d + 8) ^ *(__u32 *)(d + 12);
	}
}

/* skb_load_bytes_relative: u32 offset, u32 start header, then the 4 loaded bytes */
#define RELATIVE(NAME, SEC_, OUT)						\
SEC(SEC_)									\
int NAME(struct __sk_buff *ctx)							\
{										\
	__u32 v = 0x5a5a5a5a;							\
	long ret;								\
	PKT(ctx, 8);								\
	ret = bpf_skb_load_bytes_relative(ctx, *(__u32 *)d, &v, 4, *(__u32 *)(d + 4));	\
	return OUT;								\
}
RELATIVE(rel_tc_ret, "tc", ret)
RELATIVE(rel_tc_val, "tc", v)

/* the same from a socket filter (packet from the network header), arguments loaded */
#define RELATIVE_SOCK(NAME, OUT)						\
SEC("socket")									\
int NAME(struct __sk_buff *ctx)							\
{										\
	__u32 v = 0x5a5a5a5a, a[2];						\
	long ret;								\
	if (bpf_skb_load_bytes(ctx, 0, a, 8))					\
		return -1;							\
	ret = bpf_skb_load_bytes_relative(ctx, a[0], &v, 4, a[1]);		\
	return OUT;								\
}
RELATIVE_SOCK(rel_sock_ret, ret)
RELATIVE_SOCK(rel_sock_val, v)

/* strncmp: u8 n - 1 (low 3 bits), then up to 8 bytes against "hello" */
static const char hello[] = "hello";

SEC("xdp")
int strncmp_xdp(struct xdp_md *ctx)
{
	char text[8];

	PKT(ctx, 9);
	__builtin_memcpy(text, d + 1, 8);
	return bpf_strncmp(text, (*(__u8 *)d & 7) + 1, hello);
}

/* l3/l4_csum_replace: u32 offset, u32 from, u32 to, u32 flags; the field (after the
 * update) or the error */
#define REPLACE(NAME, FN)							\
SEC("tc")									\
int NAME(struct __sk_buff *ctx)							\
{										\
	__u32 off, from, to, flags;						\
	long ret;								\
	{									\
		PKT(ctx, 16);							\
		off = *(__u32 *)d; from = *(__u32 *)(d + 4);			\
		to = *(__u32 *)(d + 8); flags = *(__u32 *)(d + 12);		\
	}									\
	ret = FN(ctx, off, from, to, flags);					\
	if (ret)								\
		return ret;							\
	{									\
		__u16 buf[32];							\
		PKT(ctx, 64);							\
		__builtin_memcpy(buf, d, 64);					\
		return 0x10000 | buf[(off & 62) >> 1];				\
	}									\
}
REPLACE(l3_replace, bpf_l3_csum_replace)
REPLACE(l4_replace, bpf_l4_csum_replace)

/* set_hash then get_hash_recalc / skb->hash; set_hash_invalid then skb->hash */
SEC("tc")
int hash_set(struct __sk_buff *ctx)
{
	PKT(ctx, 4);
	bpf_set_hash(ctx, *(__u32 *)d);
	return bpf_get_hash_recalc(ctx) ^ ctx->hash ^ *(__u32 *)d ? -1 : ctx->hash;
}

SEC("tc")
int hash_invalid(struct __sk_buff *ctx)
{
	bpf_set_hash(ctx, 1234);
	bpf_set_hash_invalid(ctx);
	return ctx->hash;
}

/* skb_pull_data: u32 length; get_route_realm */
SEC("tc")
int pull(struct __sk_buff *ctx)
{
	__u32 n;
	{
		PKT(ctx, 4);
		n = *(__u32 *)d;
	}
	return bpf_skb_pull_data(ctx, n);
}

SEC("tc")
int realm(struct __sk_buff *ctx)
{
	return bpf_get_route_realm(ctx);
}

/* xdp_adjust_meta / xdp_adjust_tail: s32 delta; the result, or the new length */
SEC("xdp")
int meta_ret(struct xdp_md *ctx)
{
	__s32 delta;
	{
		PKT(ctx, 4);
		delta = *(__s32 *)d;
	}
	return bpf_xdp_adjust_meta(ctx, delta);
}

SEC("xdp")
int meta_len(struct xdp_md *ctx)
{
	__s32 delta;
	{
		PKT(ctx, 4);
		delta = *(__s32 *)d;
	}
	bpf_xdp_adjust_meta(ctx, delta);
	return ctx->data - ctx->data_meta;
}

SEC("xdp")
int tail_ret(struct xdp_md *ctx)
{
	__s32 delta;
	{
		PKT(ctx, 4);
		delta = *(__s32 *)d;
	}
	return bpf_xdp_adjust_tail(ctx, delta);
}

SEC("xdp")
int tail_len(struct xdp_md *ctx)
{
	__s32 delta;
	{
		PKT(ctx, 4);
		delta = *(__s32 *)d;
	}
	bpf_xdp_adjust_tail(ctx, delta);
	{
		__u32 n;
		__u8 *last;

		PKT(ctx, 14);
		n = e - d;
		last = d + ((n - 1) & 4095);
		if ((void *)(last + 1) > e)
			return -2;
		/* the last byte: cleared when grown */
		return n | (*last << 16);
	}
}

/* queue/stack/bloom: the packet is 8 ops of (u8 op, u8 flags, u32 value); op 0 push,
 * 1 pop, 2 peek; the result folds every return value and popped/peeked value */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__type(value, __u32);
	__uint(max_entries, 3);
} q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__type(value, __u32);
	__uint(max_entries, 3);
} st SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u32);
	__uint(max_entries, 64);
	__uint(map_extra, 5);
	__uint(map_flags, BPF_F_ZERO_SEED);	/* the kernel's false positives, if any, repeat */
} bloom SEC(".maps");

#define QOPS(NAME, MAP)								\
SEC("xdp")									\
int NAME(struct xdp_md *ctx)							\
{										\
	__u8 ops[48];								\
	__u32 acc = 0;								\
	PKT(ctx, 48);								\
	__builtin_memcpy(ops, d, 48);						\
	for (int i = 0; i < 8; i++) {						\
		__u8 op = ops[6 * i], fl = ops[6 * i + 1];			\
		__u32 v = 0, out = 0x5a5a5a5a;					\
		long r;								\
		__builtin_memcpy(&v, &ops[6 * i + 2], 4);			\
		if (op % 3 == 0)						\
			r = bpf_map_push_elem(&MAP, &v, fl);			\
		else if (op % 3 == 1)						\
			r = bpf_map_pop_elem(&MAP, &out);			\
		else								\
			r = bpf_map_peek_elem(&MAP, &out);			\
		acc = acc * 31 + (__u32)r;					\
		acc = acc * 31 + (op % 3 ? out : 0);				\
	}									\
	return acc;								\
}
QOPS(queue_ops, q)
QOPS(stack_ops, st)

SEC("xdp")
int bloom_ops(struct xdp_md *ctx)
{
	__u8 ops[48];
	__u32 acc = 0;

	PKT(ctx, 48);
	__builtin_memcpy(ops, d, 48);
	for (int i = 0; i < 8; i++) {
		__u32 v = 0;
		long r;

		__builtin_memcpy(&v, &ops[6 * i + 2], 4);
		if (ops[6 * i] & 1)
			r = bpf_map_peek_elem(&bloom, &v);
		else
			r = bpf_map_push_elem(&bloom, &v, ops[6 * i + 1]);
		acc = acc * 31 + (__u32)r;
	}
	return acc;
}

/* redirect_map on empty redirect maps: u32 key, u32 flags */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 4);
} devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 4);
} cpus SEC(".maps");

#define REDIR(NAME, MAP)							\
SEC("xdp")									\
int NAME(struct xdp_md *ctx)							\
{										\
	PKT(ctx, 8);								\
	return bpf_redirect_map(&MAP, *(__u32 *)d, *(__u32 *)(d + 4));		\
}
REDIR(redir_dev, devs)
REDIR(redir_cpu, cpus)

/* redirect_neigh (u32 ifindex, u32 plen, u32 flags), redirect_peer (u32 ifindex, u32 flags),
 * clone_redirect (u32 ifindex, u32 flags), skb_change_type (u32 type; then skb->pkt_type) */
SEC("tc")
int redir_neigh(struct __sk_buff *ctx)
{
	struct bpf_redir_neigh nh = {};
	__u32 ifindex, plen, flags;

	{
		PKT(ctx, 12);
		ifindex = *(__u32 *)d; plen = *(__u32 *)(d + 4); flags = *(__u32 *)(d + 8);
	}
	if (plen == 0)
		return bpf_redirect_neigh(ifindex, 0, 0, flags);
	if (plen < sizeof(nh))
		return bpf_redirect_neigh(ifindex, &nh, 8, flags);
	return bpf_redirect_neigh(ifindex, &nh, sizeof(nh), flags);
}

SEC("tc")
int redir_peer(struct __sk_buff *ctx)
{
	PKT(ctx, 8);
	return bpf_redirect_peer(*(__u32 *)d, *(__u32 *)(d + 4));
}

SEC("tc")
int clone_redir(struct __sk_buff *ctx)
{
	__u32 ifindex, flags;

	{
		PKT(ctx, 8);
		ifindex = *(__u32 *)d; flags = *(__u32 *)(d + 4);
	}
	return bpf_clone_redirect(ctx, ifindex, flags);
}

SEC("tc")
int change_type(struct __sk_buff *ctx)
{
	__u32 t;
	long ret;

	{
		PKT(ctx, 4);
		t = *(__u32 *)d;
	}
	ret = bpf_skb_change_type(ctx, t);
	return ret ? ret : ctx->pkt_type | 0x100;
}

/* the test run's socket: its owner's uid and cgroup (u32 level for the ancestor), classids */
SEC("tc")
int sock_uid(struct __sk_buff *ctx)
{
	return bpf_get_socket_uid(ctx);
}

SEC("tc")
int sock_cgroup(struct __sk_buff *ctx)
{
	return bpf_skb_cgroup_id(ctx);
}

SEC("tc")
int sock_ancestor(struct __sk_buff *ctx)
{
	PKT(ctx, 4);
	return bpf_skb_ancestor_cgroup_id(ctx, *(__u32 *)d);
}

SEC("tc")
int classids(struct __sk_buff *ctx)
{
	return bpf_get_cgroup_classid(ctx) | bpf_skb_cgroup_classid(ctx) << 16;
}

/* skb_ecn_set_ce: the packet is Ethernet + IPv4/IPv6 as given; the result, the TOS /
 * traffic-class word and the IPv4 checksum after the call */
SEC("tc")
int ecn(struct __sk_buff *ctx)
{
	long ret = bpf_skb_ecn_set_ce(ctx);
	__u32 w, c;

	PKT(ctx, 54);
	w = *(__u32 *)(d + 14);
	c = *(__u16 *)(d + 24);
	return (ret << 30) ^ w ^ (c << 8);
}

char _license[] SEC("license") = "GPL";
