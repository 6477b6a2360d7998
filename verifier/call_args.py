"""Call arguments where calls find them, and the memory checks every kind of call applies.

An argument lives in a register (r1-r5) or, from the sixth on, in the caller's
outgoing stack-argument slot k (``*(R11-8k)``): a *location* is ``("reg", regno)``
or ``("slot", k)``.  Checks written for registers run on a slot by lending it a
scratch register number (:func:`lend`); messages then name the slot instead of
``R11``.

The memory checks (kernel: ``check_helper_mem_access``, ``check_mem_reg``,
``check_func_arg_reg_off``, ``process_timer_func``) are shared by helper calls
(:mod:`verifier.helper_call`), kfunc calls (:mod:`verifier.kfunc_args`) and
BPF-to-BPF calls (:mod:`verifier.calls`, :mod:`verifier.stack_args`).
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from isa.stack_args import slot_name
from verifier import helpers as H
from verifier import regtypes as T
from verifier.env import Env
from verifier.errors import EINVAL, VerifierError
from verifier.mem import (check_map_access, check_map_access_type, check_mem_region_access,
                          check_packet_access, check_ptr_off_reg)
from verifier.stack import check_stack_range_initialized
from verifier.state import NOT_INIT_REG, Reg
from verifier.btf_access import btf_id_access

SCRATCH = 11          # the lent register number
_BASE_MASK, _PTR_TO_STACK = T.BASE_MASK, T.PTR_TO_STACK
_R11 = re.compile(r"\bR11\b")


# --- locations ------------------------------------------------------------------------------

def outgoing_reg(env: Env, k: int) -> Reg:
    """The current frame's outgoing slot k (1-based) or NOT_INIT."""
    sa = env.frame.stack_arg_regs
    return sa[k - 1] if k <= len(sa) else NOT_INIT_REG


def location(arg) -> tuple:
    s = arg.slots[0]
    return ("slot", s.stack_slot) if s.is_stack else ("reg", s.index + 1)


def loc_name(loc: tuple) -> str:
    return slot_name(loc[1]) if loc[0] == "slot" else f"R{loc[1]}"


def reg_at(env: Env, loc: tuple) -> Reg:
    return outgoing_reg(env, loc[1]) if loc[0] == "slot" else env.reg(loc[1])


def _renamed(e: VerifierError, name: str) -> VerifierError:
    def sub(s: str) -> str:
        return _R11.sub(name, s)
    return VerifierError(sub(e.message), e.errno, tuple(sub(x) for x in e.lines), e.insn,
                         tuple(sub(x) for x in e.post))


@contextmanager
def lend(env: Env, loc: tuple):
    """Yield a register number whose state is the argument at ``loc``."""
    if loc[0] == "reg":
        yield loc[1]
        return
    regs = env.frame.regs
    del regs[SCRATCH:]
    regs.append(outgoing_reg(env, loc[1]))
    try:
        yield SCRATCH
    except VerifierError as e:
        raise _renamed(e, slot_name(loc[1])) from None
    finally:
        del regs[SCRATCH:]


def is_null(r: Reg) -> bool:
    return r.type == T.SCALAR and r.s.var_off.mask == 0 and r.s.var_off.value == 0


# --- memory through an argument pointer -----------------------------------------------------

def check_helper_mem_access(env: Env, regno: int, access_size: int, write: bool,
                            zero_size_allowed: bool, meta) -> None:
    reg = env.reg(regno)
    b = reg.type & _BASE_MASK
    if b == _PTR_TO_STACK:          # the usual case first (the branches are exclusive)
        check_stack_range_initialized(env, regno, reg.off, access_size, zero_size_allowed,
                                      write, meta)
    elif b in (T.PTR_TO_PACKET, T.PTR_TO_PACKET_META):
        check_packet_access(env, regno, reg.off, access_size, zero_size_allowed)
    elif b == T.PTR_TO_MAP_KEY:
        if write:
            raise VerifierError(f"R{regno} cannot write into {T.type_str(reg.type)}")
        check_mem_region_access(env, regno, reg.off, access_size, reg.map.key_size, False)
    elif b == T.PTR_TO_MAP_VALUE:
        check_map_access_type(env, regno, reg.off, access_size, write)
        check_map_access(env, regno, reg.off, access_size, zero_size_allowed, direct=False)
    elif b == T.PTR_TO_MEM:
        if reg.type & T.MEM_RDONLY and write:
            raise VerifierError(f"R{regno} cannot write into {T.type_str(reg.type)}")
        check_mem_region_access(env, regno, reg.off, access_size, reg.mem_size,
                                zero_size_allowed)
    elif b == T.PTR_TO_BTF_ID:
        # a kernel object's bytes, read as a load of access_size would (the kernel checks
        # a read even for a helper that writes)
        btf_id_access(env, regno, reg.off, access_size, False, -1)
    else:
        if zero_size_allowed and access_size == 0 and is_null(reg):
            return
        raise VerifierError(f"R{regno} type={T.type_str(reg.type)} "
                            f"expected={T.type_str(T.PTR_TO_STACK)}")


def check_mem_reg_at(env: Env, loc: tuple, mem_size: int) -> None:
    """kernel: check_mem_reg - ``mem_size`` bytes readable and writable
    (NULL passes; a maybe-NULL pointer is checked as if it were not)."""
    if is_null(reg_at(env, loc)):
        return
    check_rw_access_at(env, loc, mem_size)


def check_rw_access_at(env: Env, loc: tuple, size: int) -> None:
    """``size`` bytes readable and writable through the pointer at ``loc`` (a register or a
    stack-argument slot), a maybe-NULL pointer checked as if it were not."""
    reg = reg_at(env, loc)
    with lend(env, loc) as regno:
        regs = env.frame.regs
        saved = regs[regno]
        if reg.type & T.PTR_MAYBE_NULL:
            regs[regno] = reg.with_(type=reg.type & ~T.PTR_MAYBE_NULL)
        try:
            check_helper_mem_access(env, regno, size, False, True, None)
            check_helper_mem_access(env, regno, size, True, True, None)
        finally:
            if regno < SCRATCH:
                regs[regno] = saved


# pointers an argument may carry at any offset (check_func_arg_reg_off's first case)
ANY_OFF = frozenset({T.PTR_TO_STACK, T.PTR_TO_PACKET_META, T.PTR_TO_PACKET, T.PTR_TO_MAP_KEY,
                      T.PTR_TO_MAP_VALUE, T.PTR_TO_MEM, T.PTR_TO_BUF, T.SCALAR, T.PTR_TO_ARENA})


def check_func_arg_reg_off(env: Env, reg: Reg, regno: int, arg_type: int) -> None:
    """kernel: check_func_arg_reg_off."""
    t = reg.type
    b = T.base(t)
    if arg_type & H.RELEASE:
        if reg.off:
            raise VerifierError(f"R{regno} must have zero offset when passed to release func "
                                f"or trusted arg to kfunc")
        check_ptr_off_reg(env, reg, regno, False)
        return
    if b in ANY_OFF:
        return
    if b == T.PTR_TO_BTF_ID:
        check_ptr_off_reg(env, reg, regno, True)
        return
    check_ptr_off_reg(env, reg, regno, False)


def check_timer(env: Env, regno: int, meta) -> None:
    """kernel: process_timer_func."""
    reg = env.reg(regno)
    if reg.s.var_off.mask != 0:
        raise VerifierError(f"R{regno} doesn't have constant offset. bpf_timer has to be at the "
                            f"constant offset", EINVAL)
    m = reg.map
    if not m.has_btf:
        raise VerifierError(f"map '{m.name}' has to have BTF in order to use bpf_timer", EINVAL)
    off = m.field_off("bpf_timer")
    if off < 0:
        raise VerifierError(f"map '{m.name}' has no valid bpf_timer", EINVAL)
    val = reg.s.var_off.value + reg.off
    if off != val:
        raise VerifierError(f"off {val} doesn't point to 'struct bpf_timer' that is at {off}",
                            EINVAL)
    meta.map = m
