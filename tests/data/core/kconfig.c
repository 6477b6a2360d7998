/* .kconfig externs of every supported type, strong and weak. */
#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

extern int LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_HZ __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern bool CONFIG_NO_SUCH_OPTION_X __kconfig __weak;
extern enum libbpf_tristate CONFIG_NET_CLS_ACT __kconfig __weak;
extern char CONFIG_NO_SUCH_CHAR __kconfig __weak;
extern unsigned long long CONFIG_NR_CPUS __kconfig __weak;

SEC("tc")
int kconfig(struct __sk_buff *skb)
{
	long r = 0;

	if (LINUX_KERNEL_VERSION >> 16 >= 5)
		r += 1;
	r += CONFIG_HZ * 10;
	if (CONFIG_BPF_SYSCALL)
		r += 100000;
	if (CONFIG_NO_SUCH_OPTION_X)
		r += 1000000;
	r += CONFIG_NET_CLS_ACT * 10000000;
	r += CONFIG_NO_SUCH_CHAR * 100000000;
	r += CONFIG_NR_CPUS * 1000000000L;
	return r & 0x7fffffff;
}

SEC("tc")
int kernel_version(struct __sk_buff *skb)
{
	return LINUX_KERNEL_VERSION;
}

char LICENSE[] SEC("license") = "GPL";
