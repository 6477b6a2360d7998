"""Atomic memory instructions (kernel: check_atomic, check_atomic_rmw, check_atomic_load,
check_atomic_store): BPF_STX | BPF_ATOMIC read-modify-write operations, load-acquire and
store-release, each checked through :func:`verifier.mem.check_mem_access` as the loads
and stores it performs."""

from __future__ import annotations

from isa import opcodes as op
from verifier import regtypes as T
from verifier.env import Env, check_reg_arg_dst, check_reg_arg_src
from verifier.errors import EINVAL, VerifierError
from verifier.mem import SIZE_BYTES, check_mem_access, save_aux_ptr_type


def _atomic_ptr_type_ok(env: Env, regno: int) -> bool:
    t = env.reg(regno).type
    if t == T.PTR_TO_CTX or T.is_pkt_pointer(t) or t == T.PTR_TO_FLOW_KEYS or T.is_sk_pointer(t):
        return False
    return True


def check_atomic(env: Env, insn) -> None:
    imm = insn.imm
    size_code = insn.code & 0x18
    if imm in (op.ADD, op.ADD | op.FETCH, op.AND, op.AND | op.FETCH, op.OR, op.OR | op.FETCH,
               op.XOR, op.XOR | op.FETCH, op.XCHG, op.CMPXCHG):
        if size_code not in (op.W, op.DW):
            raise VerifierError("invalid atomic operand size", EINVAL)
        size = SIZE_BYTES[size_code]
        check_reg_arg_src(env, insn.src)
        check_reg_arg_src(env, insn.dst)
        if imm == op.CMPXCHG:
            check_reg_arg_src(env, 0)
        if not _atomic_ptr_type_ok(env, insn.dst):
            raise VerifierError(f"BPF_ATOMIC stores into R{insn.dst} "
                                f"{T.type_str(env.reg(insn.dst).type)} is not allowed")
        load_reg = -1
        if imm & op.FETCH:
            load_reg = 0 if imm == op.CMPXCHG else insn.src
            check_reg_arg_dst(env, load_reg)
        check_mem_access(env, insn.dst, insn.off, size, False, -1, True, False, insn)
        if load_reg >= 0:
            check_mem_access(env, insn.dst, insn.off, size, False, load_reg, True, False, insn)
        check_mem_access(env, insn.dst, insn.off, size, True, -1, True, False, insn)
        return
    if imm == op.LOAD_ACQ:
        check_ldx_like_acquire(env, insn)
        return
    if imm == op.STORE_REL:
        check_stx_like_release(env, insn)
        return
    raise VerifierError(f"BPF_ATOMIC uses invalid atomic opcode {imm & 0xFFFFFFFF:02x}", EINVAL)


def check_ldx_like_acquire(env: Env, insn) -> None:
    """kernel: check_atomic_load - the access first, then the pointer type."""
    check_reg_arg_src(env, insn.src)
    check_reg_arg_dst(env, insn.dst, mark=False)
    _acquire_release(env, insn, insn.src, insn.dst, False, "loads from")


def check_stx_like_release(env: Env, insn) -> None:
    """kernel: check_atomic_store."""
    check_reg_arg_src(env, insn.src)
    check_reg_arg_src(env, insn.dst)
    _acquire_release(env, insn, insn.dst, insn.src, True, "stores into")


def _acquire_release(env: Env, insn, ptr: int, value: int, write: bool, what: str) -> None:
    """The access through R``ptr`` (the pointer type as it was before it, recorded for the
    rewrite), then the pointer type check: both of check_atomic_load/_store's tails."""
    ptr_type = env.reg(ptr).type
    check_mem_access(env, ptr, insn.off, SIZE_BYTES[insn.code & 0x18], write, value, True,
                     False, insn)
    save_aux_ptr_type(env, ptr_type)
    if not _atomic_ptr_type_ok(env, ptr):
        raise VerifierError(f"BPF_ATOMIC {what} R{ptr} {T.type_str(env.reg(ptr).type)} "
                            f"is not allowed")
