// SPDX-License-Identifier: GPL-2.0
/*
 * Parameter names for the naked callees of bpf2bpf_rules.c (the selftests'
 * __btf_func_path companion, btf.fixup.apply_func_names): ordinary C
 * definitions with the same names and parameter lists.  Only the BTF of this
 * object is used.  Built through our toolchain (it has more than five
 * arguments, which clang-22 cannot compile by itself).
 */
#include <linux/bpf.h>

int add_six(int a, int b, int c, int d, int e, int f)
{
	return a + b + c + d + e + f;
}

int add_seven(int a, int b, int c, int d, int e, int f, int g)
{
	return a + b + c + d + e + f + g;
}

long load_through_sixth(long a, long b, long c, long d, long e, long *f)
{
	return *f;
}

int reads_missing_seventh(int a, int b, int c, int d, int e, int f)
{
	return f;
}

int tail_call_with_arg6(struct __sk_buff *skb, int b, int c, int d, int e, int f)
{
	return f;
}
