/* '?'-prefixed sections: libbpf sets autoload=false for these programs. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("?xdp")
int maybe_xdp(struct xdp_md *ctx) { return XDP_PASS; }

SEC("?tc")
int maybe_tc(struct __sk_buff *skb) { return 0; }

SEC("xdp")
int always_xdp(struct xdp_md *ctx) { return XDP_DROP; }

char LICENSE[] SEC("license") = "GPL";
