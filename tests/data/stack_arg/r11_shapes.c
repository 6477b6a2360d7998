// SPDX-License-Identifier: GPL-2.0
/*
 * r11 may appear in three shapes only: a DW store (STX or ST) at r11 - 8k and
 * a DW load at r11 + 8k, k = 1..7 (DESIGN.md §3, stack_arg_abi.md §2.2).
 * Everything else is "R11 is invalid".  The first seven programs transpose
 * the naked cases of the kernel selftest progs/stack_arg_fail.c; the rest
 * are shapes DESIGN.md §3 names ("anything else") that no selftest covers.
 * Each program holds exactly one r11 instruction.  Socket filters, as in the
 * selftest.  Built with clang-22 directly.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* ---- bpf_misc.h, the parts used here ---------------------------------- */
#define __sa_str(x) #x
#define __sa_xstr(x) __sa_str(x)
#define __sa_tag(t) __attribute__((btf_decl_tag("comment:" __sa_xstr(__COUNTER__) ":" t)))
#define __failure __sa_tag("test_expect_failure")
#define __msg(m) __sa_tag("test_expect_msg=" m)
#define __description(d) __sa_tag("test_description=" d)
#define __naked __attribute__((naked))
#define __clobber_all "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "memory"

/* ---- progs/stack_arg_fail.c -------------------------------------------- */

SEC("socket")
__description("ALU on r11")
__failure __msg("R11 is invalid")
__naked void r11_add_imm(void)
{
	asm volatile (
		"r11 += 1;"
		"r0 = 0;"
		"exit;"
		::: __clobber_all);
}

SEC("socket")
__description("32-bit store to r11 - 8")
__failure __msg("R11 is invalid")
__naked void r11_stx_word(void)
{
	asm volatile (
		"*(u32 *)(r11 - 8) = r1;"
		"r0 = 0;"
		"exit;"
		::: __clobber_all);
}

SEC("socket")
__description("store to r11 - 4 (not a multiple of 8)")
__failure __msg("R11 is invalid")
__naked void r11_stx_misaligned(void)
{
	asm volatile (
		"*(u64 *)(r11 - 4) = r1;"
		"r0 = 0;"
		"exit;"
		::: __clobber_all);
}

SEC("socket")
__description("store to r11 + 8 (incoming side)")
__failure __msg("R11 is invalid")
__naked void r11_stx_positive(void)
{
	asm volatile (
		"*(u64 *)(r11 + 8) = r1;"
		"r0 = 0;"
		"exit;"
		::: __clobber_all);
}

SEC("socket")
__description("load from r11 - 8 (outgoing side)")
__failure __msg("R11 is invalid")
__naked void r11_ldx_negative(void)
{
	asm volatile (
		"r0 = *(u64 *)(r11 - 8);"
		"exit;"
		::: __clobber_all);
}

SEC("socket")
__description("32-bit load from r11 + 8")
__failure __msg("R11 is invalid")
__naked void r11_ldx_word(void)
{
	asm volatile (
		"r0 = *(u32 *)(r11 + 8);"
		"exit;"
		::: __clobber_all);
}

SEC("socket")
__description("store to r11 + 0")
__failure __msg("R11 is invalid")
__naked void r11_stx_zero_off(void)
{
	asm volatile (
		"*(u64 *)(r11 + 0) = r1;"
		"r0 = 0;"
		"exit;"
		::: __clobber_all);
}

/* ---- DESIGN.md §3: every other use of r11 ------------------------------ */

SEC("socket")
__description("atomic add into a stack-argument slot")
__failure __msg("R11 is invalid")
__naked void r11_atomic_add(void)
{
	asm volatile (
		"r1 = 1;"
		"lock *(u64 *)(r11 - 8) += r1;"
		"r0 = 0;"
		"exit;"
		::: __clobber_all);
}

SEC("socket")
__description("r11 as the source of a move")
__failure __msg("R11 is invalid")
__naked void r11_mov_source(void)
{
	asm volatile (
		"r0 = r11;"
		"exit;"
		::: __clobber_all);
}

SEC("socket")
__description("r11 in a conditional jump")
__failure __msg("R11 is invalid")
__naked void r11_jump_operand(void)
{
	asm volatile (
		"r0 = 0;"
		"if r11 == 0 goto 1f;"
		"r0 = 1;"
	"1:"
		"exit;"
		::: __clobber_all);
}

SEC("socket")
__description("load from r11 + 4 (not a multiple of 8)")
__failure __msg("R11 is invalid")
__naked void r11_ldx_misaligned(void)
{
	asm volatile (
		"r0 = *(u64 *)(r11 + 4);"
		"exit;"
		::: __clobber_all);
}

SEC("socket")
__description("load from r11 + 0")
__failure __msg("R11 is invalid")
__naked void r11_ldx_zero_off(void)
{
	asm volatile (
		"r0 = *(u64 *)(r11 + 0);"
		"exit;"
		::: __clobber_all);
}

SEC("socket")
__description("32-bit immediate store to r11 - 8")
__failure __msg("R11 is invalid")
__naked void r11_st_imm_word(void)
{
	asm volatile (
		"*(u32 *)(r11 - 8) = 1;"
		"r0 = 0;"
		"exit;"
		::: __clobber_all);
}

SEC("socket")
__description("r11 as the value of an ordinary stack store")
__failure __msg("R11 is invalid")
__naked void r11_spilled_to_stack(void)
{
	asm volatile (
		"*(u64 *)(r10 - 8) = r11;"
		"r0 = 0;"
		"exit;"
		::: __clobber_all);
}

char _license[] SEC("license") = "GPL";
