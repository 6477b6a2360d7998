/* BTF-defined maps in .maps used through helper calls, and a map-in-map whose
 * initial values are R_BPF_64_ABS64 relocations in .rel.maps (data, not code). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u32);
} seen SEC(".maps");

struct inner_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner_map);
} outer SEC(".maps") = {
	.values = { &inner_a, &inner_b },
};

SEC("tracepoint/syscalls/sys_enter_openat")
int count_open(void *ctx)
{
	__u32 key = 1, one = 1;
	__u64 *v = bpf_map_lookup_elem(&counts, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	bpf_map_update_elem(&seen, &key, &one, BPF_ANY);
	return bpf_map_lookup_elem(&outer, &key) != 0;
}

char LICENSE[] SEC("license") = "GPL";
