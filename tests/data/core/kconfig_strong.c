/* A strong .kconfig extern no configuration defines: libbpf refuses the object. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int CONFIG_STACKARGS_NO_SUCH_OPTION __kconfig;

SEC("tc")
int strong(struct __sk_buff *skb)
{
	return CONFIG_STACKARGS_NO_SUCH_OPTION;
}

char LICENSE[] SEC("license") = "GPL";
