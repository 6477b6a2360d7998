// SPDX-License-Identifier: GPL-2.0
/*
 * Parameter names for the naked callees of review_bpf2bpf.c (the selftests'
 * __btf_func_path companion).  Only the BTF of this object is used.  Built
 * through our toolchain.
 */
#include <linux/bpf.h>

int seven_sum(int a, int b, int c, int d, int e, int f, int g)
{
	return a + b + c + d + e + f + g;
}

long drop_sock_arg6(long a, long b, long c, long d, long e, struct bpf_sock *sk)
{
	return 0;
}

long read_sock_arg6(long a, long b, long c, long d, long e, struct bpf_sock *sk)
{
	return sk->bound_dev_if;
}
