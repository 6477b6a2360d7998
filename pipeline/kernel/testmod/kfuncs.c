// SPDX-License-Identifier: GPL-2.0
/*
 * The mock kernel's copy of bpf_testmod (tools/testing/selftests/bpf/
 * test_kmods/): the kfuncs the stack-argument selftests call, with the
 * kernel-side prototypes and struct layouts, compiled to BTF as a module's
 * BTF is for the real kernel (pipeline/kernel/build.py).
 *
 * The code never runs: the kfuncs execute as the Python functions in
 * testmod/kfuncs.py, which also carries their KF_* flags and program-type
 * registration.  Bodies exist so that clang keeps every parameter name in
 * the BTF (clang-22 needs the lowered compile path for the >5-argument ones).
 */
#include "../core/kernel_types.h"

/* ---- types (bpf_testmod.h, bpf_testmod_kfunc.h) ---- */

/* Kernel view of the testmod iterator; BPF programs see 16 opaque bytes. */
struct bpf_iter_testmod_seq {
	s64 value;
	int cnt;
};

/* x1..x3 sit one anonymous struct level deeper each (BTF keeps the nesting). */
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

/* Passed by value: 16 bytes, two stack slots when it is argument 6. */
struct prog_test_big_arg {
	u64 a;
	u64 b;
};

/* ---- bpf_testmod_common_kfunc_ids: every program type ---- */

__bpf_kfunc int bpf_iter_testmod_seq_new(struct bpf_iter_testmod_seq *it, s64 value, int cnt)
{
	it->cnt = cnt;
	if (cnt < 0)
		return -EINVAL;
	it->value = value;
	return 0;
}

__bpf_kfunc s64 *bpf_iter_testmod_seq_next(struct bpf_iter_testmod_seq *it)
{
	return it->cnt <= 0 ? NULL : &it->value;
}

__bpf_kfunc s64 bpf_iter_testmod_seq_value(int val, struct bpf_iter_testmod_seq *it__iter)
{
	return it__iter->cnt < 0 ? 0 : val + it__iter->value;
}

__bpf_kfunc void bpf_iter_testmod_seq_destroy(struct bpf_iter_testmod_seq *it)
{
	it->cnt = 0;
}

__bpf_kfunc u64 bpf_kfunc_arena_stack_arg_test(u64 a, u64 b, u64 c, u64 d, u64 e,
					       u64 *f__arena)
{
	return a + b + c + d + e + *f__arena;
}

/* ---- bpf_testmod_check_kfunc_ids: tc, tracing, syscall, struct_ops ---- */

__bpf_kfunc u64 bpf_kfunc_call_stack_arg(u64 a, u64 b, u64 c, u64 d, u64 e,
					 u64 f, u64 g, u64 h, u64 i, u64 j)
{
	return a + b + c + d + e + f + g + h + i + j;
}

__bpf_kfunc u64 bpf_kfunc_call_stack_arg_ptr(u64 a, u64 b, u64 c, u64 d, u64 e,
					     u64 f, u64 g, u64 h, u64 i,
					     struct prog_test_pass1 *p)
{
	return a + b + c + d + e + f + g + h + i + p->x0 + p->x1;
}

__bpf_kfunc u64 bpf_kfunc_call_stack_arg_mix(u64 a, u64 b, u64 c, u64 d, u64 e,
					     u64 f, u64 g, struct prog_test_pass1 *p,
					     u64 h, struct prog_test_pass1 *q)
{
	return a + b + c + d + e + f + g + p->x0 + h + q->x1;
}

__bpf_kfunc u64 bpf_kfunc_call_stack_arg_dynptr(u64 a, u64 b, u64 c, u64 d, u64 e,
						u64 f, u64 g, u64 h, u64 i,
						struct bpf_dynptr *ptr)
{
	const struct bpf_dynptr_kern *kern = (const void *)ptr;

	return a + b + c + d + e + f + g + h + i + (kern->size & 0xFFFFFF);
}

__bpf_kfunc u64 bpf_kfunc_call_stack_arg_mem(u64 a, u64 b, u64 c, u64 d, u64 e,
					     void *mem, int mem__sz)
{
	const unsigned char *bytes = mem;

	/* Branch-free on purpose: the lowering of clang-22 compiles (toolchain/
	 * lower.py) cannot yet rename a >5-argument function whose entry block
	 * is a branch target (a phi naming it).  The body never runs anyway. */
	return a + b + c + d + e + bytes[0] * (u64)mem__sz;
}

/* Not in bpf_testmod: the mem/size pair split between R5 and the first stack
 * slot (review bug (d) of the v1 series, tests/data/stack_arg/
 * review_kfunc_split.c).  _mem shifted one argument left. */
__bpf_kfunc u64 bpf_kfunc_call_stack_arg_mem_r5(u64 a, u64 b, u64 c, u64 d,
						void *mem, int mem__sz)
{
	const unsigned char *bytes = mem;

	return a + b + c + d + bytes[0] * (u64)mem__sz;
}

__bpf_kfunc u64 bpf_kfunc_call_stack_arg_iter(u64 a, u64 b, u64 c, u64 d, u64 e,
					      u64 f, u64 g, u64 h, u64 i,
					      struct bpf_iter_testmod_seq *it__iter)
{
	return a + b + c + d + e + f + g + h + i + it__iter->value;
}

__bpf_kfunc u64 bpf_kfunc_call_stack_arg_const_str(u64 a, u64 b, u64 c, u64 d, u64 e,
						   u64 f, u64 g, u64 h, u64 i,
						   const char *str__str)
{
	return a + b + c + d + e + f + g + h + i;
}

__bpf_kfunc u64 bpf_kfunc_call_stack_arg_timer(u64 a, u64 b, u64 c, u64 d, u64 e,
					       u64 f, u64 g, u64 h, u64 i,
					       struct bpf_timer *timer)
{
	return a + b + c + d + e + f + g + h + i;
}

__bpf_kfunc u64 bpf_kfunc_call_stack_arg_big(u64 a, u64 b, u64 c, u64 d, u64 e,
					     struct prog_test_big_arg s)
{
	return a + b + c + d + e + s.a + s.b;
}

/* The acquire half of the reference-tracking pair; the release half,
 * bpf_kfunc_call_test_release, is a core-kernel kfunc (core/kfuncs.c).
 * The object handed out (a = 42, b = 108, next = itself, one reference held
 * by the kernel) lives in the mock kernel's memory: testmod/kfuncs.py. */
__bpf_kfunc struct prog_test_ref_kfunc *bpf_kfunc_call_test_acquire(unsigned long *scalar_ptr)
{
	return NULL;
}
