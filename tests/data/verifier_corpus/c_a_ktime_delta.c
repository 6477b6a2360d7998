// intent: accept
// retval: 1

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("socket")
int prog(struct __sk_buff *skb)
{
	__u64 t0 = bpf_ktime_get_ns();
	__u64 t1 = bpf_ktime_get_ns();
	return t1 >= t0;
}

char LICENSE[] SEC("license") = "GPL";
