// intent: accept
// retval: 80
// about: variable-offset packet pointer re-checked against data_end

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("tc")
int prog(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct tcphdr *tcp;
	__u32 ihl;
	if ((void *)(ip + 1) > data_end)
		return 0;
	ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip))
		return 0;
	tcp = (void *)ip + ihl;
	if ((void *)(tcp + 1) > data_end)
		return 0;
	return bpf_ntohs(tcp->dest);
}

char LICENSE[] SEC("license") = "GPL";
