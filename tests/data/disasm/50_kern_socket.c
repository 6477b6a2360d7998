/* A loadable socket filter: helper calls, a BTF-defined array map, a global (.bss map),
 * a static subprogram.  Also loaded by test_disasm_kernel.py (bpftool xlated oracle). */
#define SEC(name) __attribute__((section(name), used))

struct {
	int (*type)[2];		/* BPF_MAP_TYPE_ARRAY */
	int (*max_entries)[4];
	int *key;
	long *value;
} counts SEC(".maps");

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static unsigned long (*bpf_ktime_get_ns)(void) = (void *)5;
static unsigned int (*bpf_get_prandom_u32)(void) = (void *)7;

long total;

static __attribute__((noinline)) long mix(long a, long b)
{
	return (a ^ (b << 3)) + total;
}

SEC("socket") int kern_socket(void *skb)
{
	int key = bpf_get_prandom_u32() & 3;
	long *slot = bpf_map_lookup_elem(&counts, &key);
	long t = (long)bpf_ktime_get_ns();

	if (!slot)
		return 0;
	*slot += 1;
	__sync_fetch_and_add(slot, 2);
	total += mix(t, *slot);
	return (int)(total & 0xffff);
}

char _license[] SEC("license") = "GPL";
