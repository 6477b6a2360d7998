// SPDX-License-Identifier: GPL-2.0
/*
 * Parameter names for the naked callee of review_kfunc.c (the selftests'
 * __btf_func_path companion).  Only the BTF of this object is used.  Built
 * through our toolchain.
 */
int add_six(int a, int b, int c, int d, int e, int f)
{
	return a + b + c + d + e + f;
}
