// SPDX-License-Identifier: GPL-2.0
/*
 * The v1 stack-argument series' bpf_testmod kfuncs (shared/seed, patches 08 and 09):
 * eight scalars; five scalars and a struct pointer; a pointer/scalar mix; and a by-value
 * struct the final design refuses.  Prototypes only matter (the kfuncs run as
 * testmod_v1/kfuncs.py); bodies keep clang's BTF parameter names.  Select with
 * `--kmod testmod_v1` (API: kernel="testmod_v1").
 */
#include "../core/kernel_types.h"

struct prog_test_pass1 {
	int x0;
	struct {
		int x1;
		struct {
			int x2;
			struct {
				int x3;
			};
		};
	};
};

struct prog_test_big_arg {
	long a;
	long b;
};

__bpf_kfunc u64 bpf_kfunc_call_stack_arg(u64 a, u64 b, u64 c, u64 d,
					 u64 e, u64 f, u64 g, u64 h)
{
	return a + b + c + d + e + f + g + h;
}

__bpf_kfunc u64 bpf_kfunc_call_stack_arg_ptr(u64 a, u64 b, u64 c, u64 d, u64 e,
					     struct prog_test_pass1 *p)
{
	return a + b + c + d + e + p->x0 + p->x1;
}

__bpf_kfunc u64 bpf_kfunc_call_stack_arg_mix(u64 a, u64 b, u64 c, u64 d, u64 e,
					     struct prog_test_pass1 *p, u64 f,
					     struct prog_test_pass1 *q)
{
	return a + b + c + d + e + p->x0 + f + q->x1;
}

__bpf_kfunc u64 bpf_kfunc_call_stack_arg_big(u64 a, u64 b, u64 c, u64 d, u64 e,
					     struct prog_test_big_arg s)
{
	return a + b + c + d + e + s.a + s.b;
}
