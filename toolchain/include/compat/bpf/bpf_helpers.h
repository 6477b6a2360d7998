/* SPDX-License-Identifier: MIT */
/*
 * stackargs: <bpf/bpf_helpers.h> as newer libbpf has it, on top of whatever
 * libbpf headers the system (or the shipped fallback) provides.
 *
 * The compile driver puts this directory ahead of the system headers
 * (-isystem), so `#include <bpf/bpf_helpers.h>` lands here first. The real
 * header is included with #include_next, then every macro that later libbpf
 * releases added is defined if it is still missing, so a source written for a
 * current libbpf builds unchanged against Debian's libbpf-dev 1.1 headers.
 * Each definition follows libbpf's documented meaning; nothing here is taken
 * from libbpf's source text.
 */
#include_next <bpf/bpf_helpers.h>

#ifndef __STACKARGS_COMPAT_BPF_HELPERS_H
#define __STACKARGS_COMPAT_BPF_HELPERS_H

/* ---- token helpers (present in every libbpf, defined here for safety) ---- */
#ifndef ___bpf_concat
#define ___bpf_concat(a, b) a ## b
#endif

/* ---- section and linkage shorthands ---- */
#ifndef SEC
#define SEC(name) __attribute__((section(name), used))
#endif
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif
#ifndef __weak
#define __weak __attribute__((weak))
#endif
#ifndef __hidden
#define __hidden __attribute__((visibility("hidden")))
#endif
#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif
#ifndef __kconfig
#define __kconfig __attribute__((section(".kconfig")))
#endif
#ifndef __bpf_fastcall
#define __bpf_fastcall __attribute__((bpf_fastcall))
#endif

/* ---- BTF-defined map fields ---- */
#ifndef __uint
#define __uint(name, val) int (*name)[val]
#endif
#ifndef __type
#define __type(name, val) typeof(val) *name
#endif
#ifndef __array
#define __array(name, val) typeof(val) *name[]
#endif
/* A 64-bit map parameter (e.g. map_extra): the value rides in an enumerator,
 * whose BTF keeps 64 bits, under a name made unique per use. */
#ifndef __ulong
#define __ulong(name, val) enum { ___bpf_concat(__stackargs_ulong_, __COUNTER__) = (val) } name
#endif
#ifndef __long
#define __long(name, val) enum { ___bpf_concat(__stackargs_long_, __COUNTER__) = (val) } name
#endif

/* ---- BTF tags the verifier reads ---- */
#ifndef __kptr
#define __kptr __attribute__((btf_type_tag("kptr")))
#endif
#ifndef __kptr_untrusted
#define __kptr_untrusted __attribute__((btf_type_tag("kptr_untrusted")))
#endif
#ifndef __percpu_kptr
#define __percpu_kptr __attribute__((btf_type_tag("percpu_kptr")))
#endif
#ifndef __uptr
#define __uptr __attribute__((btf_type_tag("uptr")))
#endif
/* global-function argument annotations (decl tags "arg:...") */
#ifndef __arg_ctx
#define __arg_ctx __attribute__((btf_decl_tag("arg:ctx")))
#endif
#ifndef __arg_nonnull
#define __arg_nonnull __attribute__((btf_decl_tag("arg:nonnull")))
#endif
#ifndef __arg_nullable
#define __arg_nullable __attribute__((btf_decl_tag("arg:nullable")))
#endif
#ifndef __arg_trusted
#define __arg_trusted __attribute__((btf_decl_tag("arg:trusted")))
#endif
#ifndef __arg_untrusted
#define __arg_untrusted __attribute__((btf_decl_tag("arg:untrusted")))
#endif
#ifndef __arg_arena
#define __arg_arena __attribute__((btf_decl_tag("arg:arena")))
#endif

/* ---- small utilities ---- */
#ifndef likely
#define likely(x) (__builtin_expect(!!(x), 1))
#endif
#ifndef unlikely
#define unlikely(x) (__builtin_expect(!!(x), 0))
#endif
#ifndef barrier
#define barrier() asm volatile("" ::: "memory")
#endif
#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "+r"(var))
#endif
#ifndef __bpf_unreachable
#define __bpf_unreachable() __builtin_trap()
#endif

/* Does the running kernel have this weak ksym? The symbol must be declared
 * __weak (a strong extern would be a constant non-NULL address). */
#ifndef bpf_ksym_exists
#define bpf_ksym_exists(sym) ({						\
	_Static_assert(!__builtin_constant_p(!!(sym)),			\
		       #sym " must be declared __weak to be tested");	\
	!!(sym);							\
})
#endif

/* ---- open-coded iterators: bpf_for_each, bpf_for, bpf_repeat ----
 * An iterator of kind T is a stack object `struct bpf_iter_T` driven by the
 * kfuncs bpf_iter_T_new(&it, args...), bpf_iter_T_next(&it) (NULL at the end)
 * and bpf_iter_T_destroy(&it), which a cleanup attribute calls when the loop's
 * scope ends. The loop's init clause declares the iterator and, as a second
 * declarator of the same base type, a dummy pointer whose initialiser calls
 * _new. bpf_for_each needs `struct bpf_iter_T` from <linux/bpf.h> (Linux 6.4+)
 * or vmlinux.h, as with libbpf. bpf_for and bpf_repeat do not: older UAPI
 * headers (Debian's 6.1) lack struct bpf_iter_num, so they keep the iterator in
 * a private 8-byte, 8-aligned struct of the same layout and hand the kfuncs a
 * cast pointer (the kernel checks the kfunc's own prototype and the stack
 * slot, not the program's name for the type). */
#ifndef bpf_for_each
struct bpf_iter_num;
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __weak __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;

#define bpf_for_each(type, cur, args...)					\
	for (struct bpf_iter_##type ___stackargs_it				\
		     __attribute__((aligned(8), cleanup(bpf_iter_##type##_destroy))), \
	     *___stackargs_init __attribute__((unused)) =			\
		     (bpf_iter_##type##_new(&___stackargs_it, ##args), (void *)0); \
	     ((cur) = bpf_iter_##type##_next(&___stackargs_it));)
#endif

#if !defined(bpf_for) || !defined(bpf_repeat)
struct ___stackargs_iter_num { unsigned long long opaque; } __attribute__((aligned(8)));

static __always_inline void ___stackargs_iter_num_destroy(struct ___stackargs_iter_num *it)
{
	bpf_iter_num_destroy((struct bpf_iter_num *)it);
}

#define ___stackargs_num_loop(start, end)					\
	struct ___stackargs_iter_num ___stackargs_it				\
		__attribute__((aligned(8), cleanup(___stackargs_iter_num_destroy))), \
	*___stackargs_init __attribute__((unused)) =				\
		(bpf_iter_num_new((struct bpf_iter_num *)&___stackargs_it, (start), (end)), \
		 (void *)0)
#define ___stackargs_num_next() bpf_iter_num_next((struct bpf_iter_num *)&___stackargs_it)
#endif

/* for (i = start; i < end; i++) through the numeric iterator; the body sees
 * i proven to lie in [start, end). start and end are evaluated more than once. */
#ifndef bpf_for
#define bpf_for(i, start, end)							\
	for (___stackargs_num_loop(start, end);					\
	     ({ int *___stackargs_v = ___stackargs_num_next();			\
		___stackargs_v && ((i) = *___stackargs_v, (i) >= (start) && (i) < (end)); });)
#endif

/* run the body n times */
#ifndef bpf_repeat
#define bpf_repeat(n) for (___stackargs_num_loop(0, n); ___stackargs_num_next();)
#endif

/* ---- bounded loops with may_goto (the verifier's loop budget) ----
 * can_loop is true while the budget lasts; cond_break leaves the enclosing
 * loop once it is spent. */
#ifndef can_loop
#define can_loop ({								\
	__label__ ___stackargs_out, ___stackargs_on;				\
	_Bool ___stackargs_ok = 1;						\
	asm volatile goto("may_goto %l[___stackargs_out]" :::: ___stackargs_out); \
	goto ___stackargs_on;							\
___stackargs_out:								\
	___stackargs_ok = 0;							\
___stackargs_on:								\
	___stackargs_ok;							\
})
#endif
#ifndef cond_break
#define cond_break ({								\
	__label__ ___stackargs_out, ___stackargs_on;				\
	asm volatile goto("may_goto %l[___stackargs_out]" :::: ___stackargs_out); \
	goto ___stackargs_on;							\
___stackargs_out:								\
	break;									\
___stackargs_on:;								\
})
#endif

#endif /* __STACKARGS_COMPAT_BPF_HELPERS_H */
