/* A legacy map definition in the "maps" section (libbpf < 1.0 style). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct legacy_def {
	unsigned int type, key_size, value_size, max_entries, map_flags;
};

struct legacy_def old_map SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 1,
};

SEC("kprobe/do_sys_open")
int old_style(void *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&old_map, &key);

	return v ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
