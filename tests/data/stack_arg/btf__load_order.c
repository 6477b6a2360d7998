// SPDX-License-Identifier: GPL-2.0
/*
 * Parameter names for the naked callees of load_order.c (the selftests'
 * __btf_func_path companion, btf.fixup.apply_func_names).  Only the BTF of
 * this object is used.  Built through our toolchain.
 */
int store_then_load(int a, int b, int c, int d, int e, int f)
{
	return a + b + c + d + e + f;
}

int helper_then_load(int a, int b, int c, int d, int e, int f)
{
	return a + b + c + d + e + f;
}

int maybe_helper_then_load(int a, int b, int c, int d, int e, int f)
{
	return a + b + c + d + e + f;
}

void unreliable_seven(long *a, int b, int c, int d, int e, int f, int g)
{
}
