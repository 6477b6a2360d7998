// intent: accept

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("kprobe/do_nanosleep")
int prog(void *ctx)
{
	__u64 arg = ((__u64 *)ctx)[14], val = 0;
	bpf_probe_read_kernel(&val, sizeof(val), (void *)arg);
	return val == 0;
}

char LICENSE[] SEC("license") = "GPL";
