// SPDX-License-Identifier: GPL-2.0
/*
 * A 16-byte struct passed by value to a kfunc in a stack position (arg 6,
 * slots 1 and 2): the kernel rejects it, "Unrecognized *(R11-8) type STRUCT"
 * (the C case of progs/stack_arg_fail.c, transposed).  Plain C built through
 * our toolchain; the kfunc prototype comes from the mock kernel's header.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bpf_testmod_kfunc.h"

/* bpf_misc.h's __failure and __msg */
#define __sa_str(x) #x
#define __sa_xstr(x) __sa_str(x)
#define __sa_tag(t) __attribute__((btf_decl_tag("comment:" __sa_xstr(__COUNTER__) ":" t)))
#define __failure __sa_tag("test_expect_failure")
#define __msg(m) __sa_tag("test_expect_msg=" m)

SEC("tc")
__failure __msg("Unrecognized *(R11-8) type STRUCT")
int struct_by_value_arg6(struct __sk_buff *skb)
{
	struct prog_test_big_arg pair = { .a = 1, .b = 2 };

	return bpf_kfunc_call_stack_arg_big(1, 2, 3, 4, 5, pair);
}

char _license[] SEC("license") = "GPL";
