// intent: reject
// expect: invalid bpf_context access off=112 size=8

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
	((volatile __u64 *)ctx)[14] = 0;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
