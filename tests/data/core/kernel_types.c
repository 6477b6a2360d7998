/* CO-RE against vmlinux: every relocation kind on real kernel types (task_struct, sk_buff
 * bitfields through anonymous members, enum bpf_func_id), read in a kprobe. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
	unsigned int flags;
} __attribute__((preserve_access_index));

struct sk_buff {
	__u8 pkt_type:3;
	unsigned int len;
} __attribute__((preserve_access_index));

enum bpf_func_id___local {
	BPF_FUNC_map_lookup_elem___local = 100,
	BPF_FUNC_no_such_helper___local = 101,
};

struct no_such_type___y {
	int a;
};

SEC("kprobe/do_nanosleep")
int kernel_types(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct sk_buff *skb = (void *)t;
	long r = BPF_CORE_READ(t, real_parent, pid);

	r += BPF_CORE_READ(t, tgid);
	r += BPF_CORE_READ_BITFIELD_PROBED(skb, pkt_type);
	r += bpf_core_field_exists(t->flags);
	r += bpf_core_field_size(t->flags) * 10;
	r += bpf_core_field_offset(t->tgid) * 100;
	r += bpf_core_field_size(skb->len);
	r += bpf_core_type_exists(struct no_such_type___y) * 1000;
	r += bpf_core_type_exists(struct task_struct) * 2000;
	r += bpf_core_type_size(struct task_struct);
	r += bpf_core_type_matches(struct task_struct) * 3000;
	r += bpf_core_type_id_kernel(struct task_struct);
	r += bpf_core_type_id_local(struct task_struct);
	r += bpf_core_enum_value(enum bpf_func_id___local, BPF_FUNC_map_lookup_elem___local);
	r += bpf_core_enum_value_exists(enum bpf_func_id___local, BPF_FUNC_no_such_helper___local);
	return r;
}

char LICENSE[] SEC("license") = "GPL";
