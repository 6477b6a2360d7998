/* A loadable XDP program: packet pointer arithmetic with bounds checks, 16/64-bit loads,
 * unsigned compares and shifts.  Also used as a bpftool xlated oracle. */
#define SEC(name) __attribute__((section(name), used))

struct xdp_md {
	unsigned int data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex;
};

static __attribute__((noinline)) unsigned long fold(unsigned long x)
{
	x = (x >> 32) + (x & 0xffffffff);
	return (x >> 16) + (x & 0xffff);
}

SEC("xdp") int kern_xdp(struct xdp_md *ctx)
{
	unsigned char *data = (unsigned char *)(long)ctx->data;
	unsigned char *end = (unsigned char *)(long)ctx->data_end;

	if (data + 22 > end)
		return 1;			/* XDP_DROP */
	unsigned short type = *(unsigned short *)(data + 12);
	unsigned long word = *(unsigned long *)(data + 14);
	if (type == 0x0008 && fold(word) > 0x1234)
		return 3;			/* XDP_TX */
	return 2;				/* XDP_PASS */
}

char _license[] SEC("license") = "GPL";
