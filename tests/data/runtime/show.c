// SPDX-License-Identifier: GPL-2.0
/* What a run leaves behind, compared with the live kernel by tests/runtime/test_show.py:
 * maps of several types with BTF-typed keys and values (bpftool map dump is the oracle),
 * globals of struct/string/array/enum/bool/bitfield types, ring buffer records (submitted,
 * discarded, output), perf event output, the output packet, and __sk_buff / xdp_md fields
 * set through BPF_PROG_TEST_RUN's ctx_in. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum color { RED = 1, GREEN = 2, BLUE = 7 };
struct point {
	int x;
	unsigned short y;
	char tag[6];
	enum color c;
	_Bool ok;
	unsigned flag : 3;
	unsigned rest : 5;
};
struct key2 { __u32 a; __u16 b; };
struct seen_ctx {
	__u32 len, mark, priority, ingress_ifindex, ifindex, cb[5];
	__u64 tstamp;
	__u32 wire_len, gso_segs, gso_size;
	__u64 hwtstamp;
};

struct point origin = { .x = -5, .y = 9, .tag = "abc", .c = GREEN, .ok = 1, .flag = 5, .rest = 17 };
char name[8] = "hello";
char raw[4] = { 1, 2, 3, 4 };
int counter;
__u64 big = 0xfffffffffffffffeULL;
int arr3[3] = { 1, -2, 3 };
const volatile int limit = 42;
struct seen_ctx seen;
enum wide { SMALL = 1, HUGE = 0xffffffffffULL } wide_enum = HUGE;
enum neg { MINUS = -3, ZERO = 0 } neg_enum = MINUS;
unsigned __int128 u128 = ((unsigned __int128)1 << 64) | 5;
typedef char ch;
ch not_a_string[4] = "ab";        /* a typedef of char: bpftool prints numbers */
char unprintable[4] = { 'a', 7, 0, 0 };
char no_nul[3] = { 'x', 'y', 'z' };
union either { __u32 word; unsigned char bytes[4]; } either = { .word = 0x01020304 };
struct point line[2] = { { .x = 1, .tag = "p" }, { .x = 2, .c = 5 } };
void *nowhere = (void *)0;
_Bool flags[3] = { 1, 0, 1 };
signed char sc = -7;
short sh = -300;
__u32 meta_len, meta_word;

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, struct point); } pts SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 8); __type(key, struct key2); __type(value, __u64); } h SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, long); } pc SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 4); __type(key, int); __type(value, char[8]); } lru SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_HASH); __uint(max_entries, 4); __type(key, __u32); __type(value, struct key2); } ph SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb_small SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4); __uint(value_size, 4); } events SEC(".maps");

SEC("tc")
int maps_and_records(struct __sk_buff *skb)
{
	__u32 i = 1, w = 0xdeadbeef;
	struct point p = { .x = 7, .y = 3, .tag = "xy", .c = BLUE, .ok = 0, .flag = 2, .rest = 1 };
	struct key2 k = { .a = 5, .b = 6 };
	__u64 v = 99, *r;
	int lk = -3;
	char s[8] = "abcdefg";
	long one = 11;
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	bpf_map_update_elem(&pts, &i, &p, 0);
	bpf_map_update_elem(&h, &k, &v, 0);
	k.a = 8;
	v = 100;
	bpf_map_update_elem(&h, &k, &v, 0);
	bpf_map_update_elem(&pc, &i, &one, 0);
	bpf_map_update_elem(&lru, &lk, s, 0);
	bpf_map_update_elem(&ph, &i, &k, 0);
	counter += limit;
	origin.x += 1;
	name[0] = 'J';
	r = bpf_ringbuf_reserve(&rb, 16, 0);
	if (r) {
		r[0] = 0x1122334455667788ULL;
		r[1] = 3;
		bpf_ringbuf_submit(r, 0);
	}
	r = bpf_ringbuf_reserve(&rb, 8, 0);
	if (r) {
		r[0] = 1;
		bpf_ringbuf_discard(r, 0);
	}
	bpf_ringbuf_output(&rb, &w, 4, 0);
	bpf_ringbuf_output(&rb, &w, 3, BPF_RB_NO_WAKEUP);
	if (data + 16 <= end)
		((char *)data)[15] = 0x5a;
	return 1;
}

SEC("tc")
int ctx_fields(struct __sk_buff *skb)
{
	seen.len = skb->len;
	seen.mark = skb->mark;
	seen.priority = skb->priority;
	seen.ingress_ifindex = skb->ingress_ifindex;
	seen.ifindex = skb->ifindex;
	seen.cb[0] = skb->cb[0];
	seen.cb[1] = skb->cb[1];
	seen.cb[2] = skb->cb[2];
	seen.cb[3] = skb->cb[3];
	seen.cb[4] = skb->cb[4];
	seen.tstamp = skb->tstamp;
	seen.wire_len = skb->wire_len;
	seen.gso_segs = skb->gso_segs;
	seen.gso_size = skb->gso_size;
	seen.hwtstamp = skb->hwtstamp;
	return skb->mark + skb->priority;
}

SEC("socket")
int sock_fields(struct __sk_buff *skb)
{
	return skb->mark * 3 + skb->cb[4];
}

SEC("xdp")
int xdp_meta(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	void *meta = (void *)(long)ctx->data_meta;

	meta_len = data - meta;
	if (meta + 4 <= data) {
		meta_word = *(__u32 *)meta;
		*(__u32 *)meta = 0xabcdef01;
	}
	if (data + 2 <= end)
		((char *)data)[1] = 0x77;
	return 2;
}

SEC("tc")
int perf_out(struct __sk_buff *skb)
{
	__u64 v = 0x0102030405060708ULL;
	long a, b, c;

	a = bpf_perf_event_output(skb, &events, BPF_F_CURRENT_CPU | (6ULL << 32), &v, 8);
	b = bpf_perf_event_output(skb, &events, BPF_F_CURRENT_CPU, &v, 3);
	c = bpf_perf_event_output(skb, &events, 1ULL << 52, &v, 8);   /* a flag bit: EINVAL */
	return (a == 0) + 2 * (b == 0) + 4 * (c == -22);
}

SEC("xdp")
int xdp_perf(struct xdp_md *ctx)
{
	__u32 v = 0xa1b2c3d4;
	long a, b;

	a = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU | (4ULL << 32), &v, 4);
	b = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU | (1000ULL << 32), &v, 4);
	return (a == 0) + 2 * (b == -14);         /* more packet bytes than there are: EFAULT */
}

SEC("tc")
int rb_fill(struct __sk_buff *skb)
{
	__u64 v;
	int i, ok = 0, full = 0;

	for (i = 0; i < 300; i++) {
		v = i;
		if (bpf_ringbuf_output(&rb_small, &v, i & 1 ? 8 : 5, 0) == 0)
			ok++;
		else
			full++;
	}
	v = 1;
	if (bpf_ringbuf_output(&rb_small, &v, 8, 4) == -22)     /* a flag bit: EINVAL */
		ok += 1000;
	return ok + (full << 16);
}

char LICENSE[] SEC("license") = "GPL";
