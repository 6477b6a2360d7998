// intent: accept
// about: skb->sk is sock_common_or_null; bpf_sk_fullsock returns a nullable fullsock

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
	struct bpf_sock *sk = skb->sk;
	if (!sk)
		return 7;
	sk = bpf_sk_fullsock(sk);
	return sk ? sk->protocol : 0;
}

char LICENSE[] SEC("license") = "GPL";
