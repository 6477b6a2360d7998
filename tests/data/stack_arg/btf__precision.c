// SPDX-License-Identifier: GPL-2.0
/*
 * Parameter names for the naked callee of precision.c (the selftests'
 * __btf_func_path companion).  Only the BTF of this object is used.  Built
 * through our toolchain.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bpf_testmod_kfunc.h"

long forward_size_to_mem_kfunc(long a, long b, long c, long d, long e, long size)
{
	char bytes[8] = {};

	return bpf_kfunc_call_stack_arg_mem(a, b, c, d, e, bytes, size);
}
