// SPDX-License-Identifier: GPL-2.0
/*
 * Parameter names for the naked functions of rules_more.c (the selftests'
 * __btf_func_path companion, btf.fixup.apply_func_names): ordinary C
 * definitions with the same names and parameter lists.  clang leaves a naked
 * function's parameters unnamed, and the kernel refuses BTF with such a FUNC;
 * only this object's BTF is used.  Built through our toolchain (more than five
 * arguments).
 */
#include <linux/bpf.h>

long deref6(long a, long b, long c, long d, long e, long *f)
{
	return *f;
}

int first6(int a, int b, int c, int d, int e, int f)
{
	return f;
}

int sum6(int a, int b, int c, int d, int e, int f)
{
	return a + b + c + d + e + f;
}

int size_to_mem_kfunc(int a, int b, int c, int d, int e, int size)
{
	return size;
}

int sum7(int a, int b, int c, int d, int e, int f, int g)
{
	return a + b + c + d + e + f + g;
}

int forward7(int a, int b, int c, int d, int e, int f, int g)
{
	return g;
}

int global6(int a, int b, int c, int d, int e, int f)
{
	return f;
}

int load_into_fp(int a, int b, int c, int d, int e, int f)
{
	return f;
}

int loop_cb(int a, int b, int c, int d, int e, int f)
{
	return f;
}
