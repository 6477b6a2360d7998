/* A loadable tc classifier: __sk_buff field accesses (rewritten by the kernel), byte swaps,
 * a bounded loop, a switch, 32-bit compares.  Also used as a bpftool xlated oracle. */
#define SEC(name) __attribute__((section(name), used))

struct __sk_buff {
	unsigned int len, pkt_type, mark, queue_mapping, protocol, vlan_present, vlan_tci,
		vlan_proto, priority, ingress_ifindex, ifindex, tc_index, cb[5], hash, tc_classid,
		data, data_end, napi_id;
};

SEC("tc") int kern_tc(struct __sk_buff *skb)
{
	unsigned int proto = __builtin_bswap16((unsigned short)skb->protocol);
	unsigned int acc = skb->len;

	for (int i = 0; i < 5; i++)
		acc = acc * 31 + skb->cb[i];
	switch (proto) {
	case 0x0800: skb->mark = acc; break;
	case 0x86dd: skb->mark = acc ^ 0x5a5a; break;
	case 0x0806: skb->priority = 7; break;
	default: skb->cb[0] = proto;
	}
	if (skb->len > 1500 && skb->ifindex != 1)
		return 2;
	return (int)__builtin_bswap32(acc) & 1;
}

char _license[] SEC("license") = "GPL";
