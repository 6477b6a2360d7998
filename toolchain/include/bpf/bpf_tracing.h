/* SPDX-License-Identifier: MIT */
/*
 * stackargs: a minimal libbpf-compatible <bpf/bpf_tracing.h>: the x86-64
 * PT_REGS_* accessors and the BPF_PROG / BPF_KPROBE / BPF_KRETPROBE wrappers.
 * Written for this project. Only __TARGET_ARCH_x86 is provided (the driver
 * predefines it); other architectures need the real libbpf headers.
 */
#ifndef __BPF_TRACING_H__
#define __BPF_TRACING_H__

#include "bpf_helpers.h"

#if defined(__TARGET_ARCH_x86)
/* vmlinux.h and kernel builds name the registers the kernel's way; the uapi
 * <asm/ptrace.h> struct pt_regs uses the long x86-64 names. */
# if defined(__KERNEL__) || defined(__VMLINUX_H__)
#  define __PT_PARM1_REG di
#  define __PT_PARM2_REG si
#  define __PT_PARM3_REG dx
#  define __PT_PARM4_REG cx
#  define __PT_PARM5_REG r8
#  define __PT_PARM6_REG r9
#  define __PT_RET_REG sp
#  define __PT_FP_REG bp
#  define __PT_RC_REG ax
#  define __PT_SP_REG sp
#  define __PT_IP_REG ip
# else
#  define __PT_PARM1_REG rdi
#  define __PT_PARM2_REG rsi
#  define __PT_PARM3_REG rdx
#  define __PT_PARM4_REG rcx
#  define __PT_PARM5_REG r8
#  define __PT_PARM6_REG r9
#  define __PT_RET_REG rsp
#  define __PT_FP_REG rbp
#  define __PT_RC_REG rax
#  define __PT_SP_REG rsp
#  define __PT_IP_REG rip
# endif

# define PT_REGS_PARM1(x) ((x)->__PT_PARM1_REG)
# define PT_REGS_PARM2(x) ((x)->__PT_PARM2_REG)
# define PT_REGS_PARM3(x) ((x)->__PT_PARM3_REG)
# define PT_REGS_PARM4(x) ((x)->__PT_PARM4_REG)
# define PT_REGS_PARM5(x) ((x)->__PT_PARM5_REG)
# define PT_REGS_PARM6(x) ((x)->__PT_PARM6_REG)
# define PT_REGS_RET(x) ((x)->__PT_RET_REG)
# define PT_REGS_FP(x) ((x)->__PT_FP_REG)
# define PT_REGS_RC(x) ((x)->__PT_RC_REG)
# define PT_REGS_SP(x) ((x)->__PT_SP_REG)
# define PT_REGS_IP(x) ((x)->__PT_IP_REG)

/* kprobe arguments: each named parameter is read from its pt_regs register. */
# define ___bpf_kprobe_args0() ctx
# define ___bpf_kprobe_args1(x) ___bpf_kprobe_args0(), (void *)PT_REGS_PARM1(ctx)
# define ___bpf_kprobe_args2(x, args...) ___bpf_kprobe_args1(args), (void *)PT_REGS_PARM2(ctx)
# define ___bpf_kprobe_args3(x, args...) ___bpf_kprobe_args2(args), (void *)PT_REGS_PARM3(ctx)
# define ___bpf_kprobe_args4(x, args...) ___bpf_kprobe_args3(args), (void *)PT_REGS_PARM4(ctx)
# define ___bpf_kprobe_args5(x, args...) ___bpf_kprobe_args4(args), (void *)PT_REGS_PARM5(ctx)
# define ___bpf_kprobe_args6(x, args...) ___bpf_kprobe_args5(args), (void *)PT_REGS_PARM6(ctx)
# define ___bpf_kprobe_args(args...) ___bpf_apply(___bpf_kprobe_args, ___bpf_narg(args))(args)

# define ___bpf_kretprobe_args0() ctx
# define ___bpf_kretprobe_args1(x) ___bpf_kretprobe_args0(), (void *)PT_REGS_RC(ctx)
# define ___bpf_kretprobe_args(args...) ___bpf_apply(___bpf_kretprobe_args, ___bpf_narg(args))(args)

/* The wrapped body receives typed arguments; the casts through void * would
 * warn (an error in clang >= 15) for integer parameters, hence the pragmas. */
# define BPF_KPROBE(name, args...)					\
name(struct pt_regs *ctx);						\
static __always_inline typeof(name(0))					\
____##name(struct pt_regs *ctx, ##args);				\
typeof(name(0)) name(struct pt_regs *ctx)				\
{									\
	_Pragma("GCC diagnostic push")					\
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")		\
	return ____##name(___bpf_kprobe_args(args));			\
	_Pragma("GCC diagnostic pop")					\
}									\
static __always_inline typeof(name(0))					\
____##name(struct pt_regs *ctx, ##args)

# define BPF_KRETPROBE(name, args...)					\
name(struct pt_regs *ctx);						\
static __always_inline typeof(name(0))					\
____##name(struct pt_regs *ctx, ##args);				\
typeof(name(0)) name(struct pt_regs *ctx)				\
{									\
	_Pragma("GCC diagnostic push")					\
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")		\
	return ____##name(___bpf_kretprobe_args(args));			\
	_Pragma("GCC diagnostic pop")					\
}									\
static __always_inline typeof(name(0)) ____##name(struct pt_regs *ctx, ##args)
#endif /* __TARGET_ARCH_x86 */

/* fentry/fexit/tp_btf programs get a u64 array; argument i is ctx[i]. */
#define ___bpf_ctx_cast0() ctx
#define ___bpf_ctx_cast1(x) ___bpf_ctx_cast0(), (void *)ctx[0]
#define ___bpf_ctx_cast2(x, args...) ___bpf_ctx_cast1(args), (void *)ctx[1]
#define ___bpf_ctx_cast3(x, args...) ___bpf_ctx_cast2(args), (void *)ctx[2]
#define ___bpf_ctx_cast4(x, args...) ___bpf_ctx_cast3(args), (void *)ctx[3]
#define ___bpf_ctx_cast5(x, args...) ___bpf_ctx_cast4(args), (void *)ctx[4]
#define ___bpf_ctx_cast6(x, args...) ___bpf_ctx_cast5(args), (void *)ctx[5]
#define ___bpf_ctx_cast7(x, args...) ___bpf_ctx_cast6(args), (void *)ctx[6]
#define ___bpf_ctx_cast8(x, args...) ___bpf_ctx_cast7(args), (void *)ctx[7]
#define ___bpf_ctx_cast9(x, args...) ___bpf_ctx_cast8(args), (void *)ctx[8]
#define ___bpf_ctx_cast10(x, args...) ___bpf_ctx_cast9(args), (void *)ctx[9]
#define ___bpf_ctx_cast11(x, args...) ___bpf_ctx_cast10(args), (void *)ctx[10]
#define ___bpf_ctx_cast12(x, args...) ___bpf_ctx_cast11(args), (void *)ctx[11]
#define ___bpf_ctx_cast(args...) ___bpf_apply(___bpf_ctx_cast, ___bpf_narg(args))(args)

#define BPF_PROG(name, args...)						\
name(unsigned long long *ctx);						\
static __always_inline typeof(name(0))					\
____##name(unsigned long long *ctx, ##args);				\
typeof(name(0)) name(unsigned long long *ctx)				\
{									\
	_Pragma("GCC diagnostic push")					\
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")		\
	return ____##name(___bpf_ctx_cast(args));			\
	_Pragma("GCC diagnostic pop")					\
}									\
static __always_inline typeof(name(0))					\
____##name(unsigned long long *ctx, ##args)

#endif /* __BPF_TRACING_H__ */
