// SPDX-License-Identifier: GPL-2.0
/* One format per pair of programs: snp_N formats with bpf_snprintf into the packet (the
 * kernel's answer, read back from BPF_PROG_TEST_RUN's data_out), prk_N prints the same with
 * bpf_trace_vprintk (the mock kernel's trace line).  The packet holds 12 u64 arguments, then
 * 8 strings of 16 bytes (copied to a global); argument k is replaced by a pointer to string k when bit k of the
 * case's mask is set. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define ARGS 96
#define STRS 128
#define OUT 128

char strs[STRS];
char out[OUT];

#define FILL(ctx, MASK)								\
	void *d = (void *)(long)(ctx)->data, *e = (void *)(long)(ctx)->data_end;	\
	__u64 args[12];								\
	if (d + ARGS + STRS > e)						\
		return -1;							\
	__builtin_memcpy(args, d, ARGS);					\
	__builtin_memcpy(strs, d + ARGS, STRS);					\
	for (int k = 0; k < 8; k++)						\
		if ((MASK) & (1 << k))						\
			args[k] = (__u64)(long)(strs + 16 * k)

#define CASE(N, MASK, FMT)							\
SEC("xdp")									\
int snp_##N(struct xdp_md *ctx)							\
{										\
	static const char fmt[] = FMT;						\
	long ret;								\
	FILL(ctx, MASK);							\
	ret = bpf_snprintf(out, sizeof(out), fmt, args, sizeof(args));		\
	if (d + OUT > e)							\
		return -1;							\
	__builtin_memcpy(d, out, OUT);						\
	return ret;								\
}										\
SEC("xdp")									\
int prk_##N(struct xdp_md *ctx)							\
{										\
	static const char fmt[] = FMT;						\
	FILL(ctx, MASK);							\
	return bpf_trace_vprintk(fmt, sizeof(fmt), args, sizeof(args));		\
}

#ifndef BAD_FORMATS
CASE(ints, 0, "%d %i %u %x %X")
CASE(longs, 0, "%ld %li %lu %lx %lX")
CASE(llongs, 0, "%lld %lli %llu %llx %llX")
CASE(flags, 0, "%5d|%-5d|%05d|%+d|% d|%-+6d")
CASE(hexw, 0, "%10x|%-10lx|%016llx|%08X")
CASE(chars, 0, "%c%c%c|%3c|%-3c|")
CASE(percent, 0, "100%% %d%%")
CASE(strs, 3, "%s|%s")
CASE(strw, 3, "[%10s][%-10s]")
CASE(kstr, 1, "%pks")
CASE(ip4, 1, "%pI4 %pi4")
CASE(ip6, 1, "%pI6")
CASE(ip6raw, 1, "%pi6")
CASE(twelve, 0, "%d %d %d %d %d %d %d %d %d %d %d %d")
CASE(space, 0, "tab\there %d")
CASE(badstr, 0, "[%s]")
CASE(plain, 0, "%u %x")
#else
/* formats the kernel refuses: bpf_snprintf at load ("Invalid format string"),
 * bpf_trace_vprintk at run time (-EINVAL) */
CASE(mac, 1, "%pM")
CASE(prec, 0, "%.3d")
CASE(bad, 0, "%q")
CASE(short, 0, "%hd")
CASE(thirteen, 0, "%d %d %d %d %d %d %d %d %d %d %d %d %d")
CASE(tail, 0, "%d %")
CASE(nonprint, 0, "a\x01b")
#endif

char _license[] SEC("license") = "GPL";
