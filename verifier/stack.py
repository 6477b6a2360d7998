"""The BPF stack: bounds, spills and fills, and helper access to stack memory.

Each 8-byte slot keeps eight byte types (STACK_INVALID / MISC / ZERO /
SPILL...) and, for spills, the full register state, so a scalar or pointer
written with an aligned 8-byte store comes back intact on an 8-byte load
(kernel: check_stack_write_fixed_off / check_stack_read_fixed_off).  Byte
``j`` of slot ``spi`` is the byte at ``fp - 8*spi - 1 - j``.

Privileged programs may read uninitialised stack (``allow_uninit_stack``):
such reads give unknown scalars instead of errors.
"""

from __future__ import annotations

from isa.ints import s64
from verifier import regtypes as T
from verifier.alu import const_reg
from verifier.dynptr_slots import destroy_if_dynptr_slot, potential_write
from verifier.env import BPF_MAX_VAR_OFF, Env
from verifier.errors import EACCES, EFAULT, EINVAL, VerifierError
from verifier.precision import mark_chain_precision
from verifier.scalar import Scalar
from verifier.state import (BPF_ADD_CONST, BPF_REG_SIZE, INSN_F_SPI_SHIFT, INSN_F_STACK_ACCESS,
                            MAX_BPF_STACK, NOT_INIT_REG, STACK_DYNPTR, STACK_INVALID, STACK_MISC,
                            STACK_SPILL, STACK_ZERO, UNKNOWN_SCALAR, Frame, Reg, Slot)
from verifier.tnum import U64_MAX, tnum_strn
from verifier.worklist import push_jmp_history

_ZERO_REG = Reg(T.SCALAR, Scalar.const(0))
_SCALAR, _NOT_INIT, _PTR_TO_STACK = T.SCALAR, T.NOT_INIT, T.PTR_TO_STACK
_const = Scalar.const
_ALL_SPILL = (STACK_SPILL,) * BPF_REG_SIZE
_SPILLABLE = frozenset((T.PTR_TO_MAP_VALUE, T.PTR_TO_STACK, T.PTR_TO_CTX, T.PTR_TO_PACKET,
                        T.PTR_TO_PACKET_META, T.PTR_TO_PACKET_END, T.PTR_TO_FLOW_KEYS,
                        T.CONST_PTR_TO_MAP, T.PTR_TO_SOCKET, T.PTR_TO_SOCK_COMMON,
                        T.PTR_TO_TCP_SOCK, T.PTR_TO_XDP_SOCK, T.PTR_TO_BTF_ID, T.PTR_TO_BUF,
                        T.PTR_TO_TP_BUFFER, T.PTR_TO_MEM, T.PTR_TO_FUNC, T.PTR_TO_MAP_KEY,
                        T.PTR_TO_ARENA, T.CONST_PTR_TO_DYNPTR))


def insn_stack_access_flags(frameno: int, spi: int) -> int:
    return INSN_F_STACK_ACCESS | (spi << INSN_F_SPI_SHIFT) | frameno


def reg_width(s: Scalar) -> int:
    """kernel: get_reg_width - bits needed for umax."""
    return s.umax.bit_length()


def _live_read(env: Env, frameno: int, spi: int) -> None:
    if env.liveness is not None:
        env.liveness.mark_read(env, frameno, spi)


def _slot_misc(t: int) -> int:
    """kernel: mark_stack_slot_misc (INVALID and ZERO stay)."""
    return t if t in (STACK_ZERO, STACK_INVALID) else STACK_MISC


def _scrub(t: int) -> int:
    return t if t == STACK_INVALID else STACK_MISC


def check_stack_access_within_bounds(env: Env, regno: int, off: int, size: int,
                                     write: bool) -> None:
    st = env.cur
    reg = st.frames[st.curframe].regs[regno]
    f = st.frames[reg.frameno]
    s = reg.s
    if s.var_off.mask == 0:
        v = s.var_off.value
        min_off = (v - 0x10000000000000000 if v >> 63 else v) + off     # s64(var_off) + off
        max_off = min_off + size
        if -MAX_BPF_STACK <= min_off and max_off <= 0 and size > 0:
            # in bounds (the common case): grow_stack_state
            n = (-min_off + BPF_REG_SIZE - 1) // BPF_REG_SIZE
            if n > len(f.stack):
                f.grow_stack(-min_off)
            sp = env.subprogs[f.subprogno]
            if sp.stack_depth < n * BPF_REG_SIZE:
                sp.stack_depth = n * BPF_REG_SIZE
            return
    extra = " write to" if write else " read from"
    if s.var_off.mask != 0:
        if s.smax >= BPF_MAX_VAR_OFF or s.smin <= -BPF_MAX_VAR_OFF:
            raise VerifierError(f"invalid unbounded variable-offset{extra} stack R{regno}")
        min_off = s.smin + off
        max_off = s.smax + off + size
    bad = min_off < -MAX_BPF_STACK or min_off > -1 or max_off > 0 or size < 0
    if bad:
        if s.var_off.mask == 0:
            raise VerifierError(f"invalid{extra} stack R{regno} off={off} size={size}")
        raise VerifierError(f"invalid variable-offset{extra} stack R{regno} "
                            f"var_off={tnum_strn(s.var_off)} off={off} size={size}")
    f.grow_stack(-min_off)
    _update_stack_depth(env, f, min_off)


def _update_stack_depth(env: Env, f: Frame, off: int) -> None:
    """kernel: grow_stack_state - the known maximum grows in whole 8-byte slots (BPF_REG_SIZE),
    so an access reaching fp-37 makes the depth 40, as BPF_LOG_STATS prints it."""
    sp = env.subprogs[f.subprogno]
    depth = (-off + 7) & ~7
    if sp.stack_depth < depth:
        sp.stack_depth = depth


def check_stack_write(env: Env, ptr_regno: int, off: int, size: int, value_regno: int,
                      insn) -> None:
    reg = env.reg(ptr_regno)
    f = env.func_of(reg)
    if reg.s.var_off.mask == 0:
        _write_fixed(env, f, off + s64(reg.s.var_off.value), size, value_regno, insn)
    else:
        _write_var(env, f, ptr_regno, off, size, value_regno, insn)


def _write_fixed(env: Env, f: Frame, off: int, size: int, value_regno: int, insn) -> None:
    """kernel: check_stack_write_fixed_off.  The access is aligned (check_ptr_alignment:
    the stack is always strict), so its bytes lie in one slot."""
    slot_i = -off - 1
    spi = slot_i >> 3                   # // BPF_REG_SIZE (slot_i >= 0)
    stack = f.stack
    st = env.cur
    cur = st.frames[st.curframe]
    reg = cur.regs[value_regno] if value_regno >= 0 else None   # before any dynptr goes
    old = stack[spi]
    if old.types[0] == STACK_DYNPTR:
        destroy_if_dynptr_slot(env, f, spi)
        old = stack[spi]
    aligned = not off & 7               # off % BPF_REG_SIZE == 0
    if aligned and size == BPF_REG_SIZE and env.liveness is not None:
        env.liveness.mark_write(env, f.frameno, spi)
    env.scratched_stack |= 1 << spi
    if reg is not None:
        rtype = reg.type
        if aligned and rtype == _SCALAR and env.bpf_capable:
            if reg.s.umax.bit_length() <= 8 * size:             # reg_width(reg.s) fits
                rid = reg.id
                if rid & BPF_ADD_CONST or (not rid and reg.s.var_off.mask):
                    # (else scalar_id_before_mov returns the register as it is)
                    reg = cur.regs[value_regno] = env.scalar_id_before_mov(reg)
            else:
                reg = reg.with_(id=0)
        elif rtype != _SCALAR and rtype != _NOT_INIT and T.base(rtype) in _SPILLABLE:
            if size != BPF_REG_SIZE:
                raise VerifierError("invalid size of register spill")
            if f is not cur and rtype == _PTR_TO_STACK:
                raise VerifierError("cannot spill pointers to stack into stack frame of the caller",
                                    EINVAL)
        else:
            _write_misc(env, f, spi, slot_i, size, old,
                        rtype == _SCALAR and not reg.s.var_off.mask and not reg.s.var_off.value,
                        value_regno)
            return
    elif aligned and (insn.code & 7) == 2 and env.bpf_capable:   # BPF_ST of a constant
        reg = const_reg(insn.imm & U64_MAX)
    else:
        _write_misc(env, f, spi, slot_i, size, old,
                    (insn.code & 7) == 2 and insn.imm == 0, value_regno)
        return
    # save_register_state
    if size == BPF_REG_SIZE:
        stack[spi] = Slot(_ALL_SPILL, reg)
    else:
        _save_reg(f, spi, reg, size, old)
    # insn_stack_access_flags(frameno, spi)
    push_jmp_history(env, st, INSN_F_STACK_ACCESS | (spi << INSN_F_SPI_SHIFT) | f.frameno)


def _write_misc(env: Env, f: Frame, spi: int, slot_i: int, size: int, old: Slot,
                writing_zero: bool, value_regno: int) -> None:
    """A store that is not a spill: its bytes become STACK_MISC, or STACK_ZERO for a
    known zero (whose precision then matters); the rest of a spilled or special slot
    is scrubbed to MISC first."""
    types = list(old.types)
    if types[BPF_REG_SIZE - 1] == STACK_SPILL or types[BPF_REG_SIZE - 1] >= 4:  # special slot
        types = [_scrub(t) for t in types]
    typ = STACK_MISC
    if writing_zero:
        if value_regno >= 0:
            mark_chain_precision(env, value_regno)
        typ = STACK_ZERO
    j = slot_i & 7                      # the access's bytes: j, j-1, ... j-size+1
    types[j - size + 1:j + 1] = (typ,) * size
    f.stack[spi] = Slot(tuple(types), NOT_INIT_REG)


def _save_reg(f: Frame, spi: int, reg: Reg, size: int, old: Slot) -> None:
    """kernel: save_register_state."""
    if size == BPF_REG_SIZE:
        f.stack[spi] = Slot(_ALL_SPILL, reg)
        return
    types = list(old.types)
    i = BPF_REG_SIZE
    while i > BPF_REG_SIZE - size:
        types[i - 1] = STACK_SPILL
        i -= 1
    while i:
        types[i - 1] = _slot_misc(types[i - 1])
        i -= 1
    f.stack[spi] = Slot(tuple(types), reg)


def _write_var(env: Env, f: Frame, ptr_regno: int, off: int, size: int, value_regno: int,
               insn) -> None:
    cur = env.frame
    ptr = cur.regs[ptr_regno]
    min_off = ptr.s.smin + off
    max_off = ptr.s.smax + off + size
    vreg = cur.regs[value_regno] if value_regno >= 0 else None
    is_st = (insn.code & 7) == 2
    writing_zero = ((vreg is not None and vreg.type == T.SCALAR and vreg.s.var_off.mask == 0
                     and vreg.s.var_off.value == 0) or (vreg is None and is_st and insn.imm == 0))
    zero_used = False
    # the bytes of one slot are consecutive: each slot is destroyed (if a dynptr's) and
    # rewritten once, in the order of the bytes
    if min_off < max_off:
        for spi in range((-min_off - 1) // BPF_REG_SIZE, (-max_off) // BPF_REG_SIZE - 1, -1):
            destroy_if_dynptr_slot(env, f, spi)
    stack = f.stack
    i = min_off
    while i < max_off:
        spi = (-i - 1) // BPF_REG_SIZE
        stop = -spi * BPF_REG_SIZE
        if stop > max_off:
            stop = max_off
        env.scratched_stack |= 1 << spi
        old = stack[spi]
        types = None            # the slot's byte types once one byte is written
        spilled = old.spilled   # NOT_INIT once one byte is written
        for k in range(i, stop):
            j = (-k - 1) % BPF_REG_SIZE
            st = (old.types if types is None else types)[j]
            if (writing_zero and st == STACK_SPILL and spilled.type == T.SCALAR
                    and spilled.s.var_off.mask == 0 and spilled.s.var_off.value == 0):
                zero_used = True
                continue
            new_type = STACK_MISC
            if writing_zero and st == STACK_ZERO:
                new_type = STACK_ZERO
                zero_used = True
            if types is None:
                types = list(old.types)
            types[j] = new_type
            spilled = NOT_INIT_REG
        if types is not None:
            stack[spi] = Slot(tuple(types), NOT_INIT_REG)
        i = stop
    if zero_used and value_regno >= 0:
        mark_chain_precision(env, value_regno)


def check_stack_read(env: Env, ptr_regno: int, off: int, size: int, dst_regno: int) -> None:
    reg = env.reg(ptr_regno)
    f = env.func_of(reg)
    var_off = reg.s.var_off.mask != 0
    if dst_regno < 0 and var_off:
        raise VerifierError("variable offset stack pointer cannot be passed into helper "
                            f"function; var_off={tnum_strn(reg.s.var_off)} off={off} size={size}")
    if not var_off:
        _read_fixed(env, f, off + s64(reg.s.var_off.value), size, dst_regno)
    else:
        check_stack_range_initialized(env, ptr_regno, off, size, False, False, None)
        min_off = reg.s.smin + off
        max_off = reg.s.smax + off
        _mark_reg_stack_read(env, f, min_off, max_off + size, dst_regno)


def _read_fixed(env: Env, f: Frame, off: int, size: int, dst_regno: int) -> None:
    """kernel: check_stack_read_fixed_off.  The access is aligned (check_ptr_alignment:
    the stack is always strict), so its bytes lie in one slot."""
    st = env.cur
    cur = st.frames[st.curframe]
    slot_i = -off - 1
    spi = slot_i >> 3                   # // BPF_REG_SIZE (slot_i >= 0)
    slot = f.stack[spi]
    stype = slot.types
    env.scratched_stack |= 1 << spi
    if env.liveness is not None:
        env.liveness.mark_read(env, f.frameno, spi)
    if stype[BPF_REG_SIZE - 1] != STACK_SPILL:
        # no spill: every byte read must be MISC or ZERO (or INVALID where uninitialised
        # stack may be read); all ZERO reads the constant 0 (mark_reg_stack_read)
        j = slot_i & 7                  # the access's bytes: j, j-1, ... j-size+1
        zero = True
        for i in range(size):
            t = stype[j - i]
            if t == STACK_ZERO:
                continue
            zero = False
            if t == STACK_MISC or (t == STACK_INVALID and env.allow_uninit_stack):
                continue
            raise VerifierError(f"invalid read from stack off {off}+{i} size {size}")
        if dst_regno >= 0:
            cur.regs[dst_regno] = _ZERO_REG if zero else UNKNOWN_SCALAR
        return
    spilled = slot.spilled
    if stype == _ALL_SPILL:
        spill_size = BPF_REG_SIZE
    else:
        spill_size = 1
        i = BPF_REG_SIZE - 1
        while i > 0 and stype[i - 1] == STACK_SPILL:
            spill_size += 1
            i -= 1
    if size != BPF_REG_SIZE or spill_size != BPF_REG_SIZE:
        if spilled.type != _SCALAR:
            raise VerifierError("invalid size of register fill")
        if dst_regno < 0:
            return
        if size <= spill_size and not off & 7:
            if (env.bpf_capable and size == 4 and spill_size == 4
                    and reg_width(spilled.s) <= 32):
                new = env.scalar_id_before_mov(spilled)
                if new is not spilled:
                    spilled = new
                    f.stack[spi] = Slot(stype, spilled)
            r = spilled
            if reg_width(spilled.s) > size * 8:
                r = r.with_(id=0)
            cur.regs[dst_regno] = r
        else:
            spill_cnt = zero_cnt = 0
            for i in range(size):
                t = stype[(slot_i - i) % BPF_REG_SIZE]
                if t == STACK_SPILL:
                    spill_cnt += 1
                elif t == STACK_MISC:
                    pass
                elif t == STACK_ZERO:
                    zero_cnt += 1
                elif t == STACK_INVALID and env.allow_uninit_stack:
                    pass
                else:
                    raise VerifierError(f"invalid read from stack off {off}+{i} size {size}")
            if (spill_cnt == size and spilled.s.var_off.mask == 0
                    and spilled.s.var_off.value == 0):
                cur.regs[dst_regno] = _ZERO_REG
            elif zero_cnt == size:
                cur.regs[dst_regno] = _ZERO_REG
                return
            else:
                cur.regs[dst_regno] = UNKNOWN_SCALAR
                return
    elif dst_regno >= 0:
        if env.bpf_capable and spilled.type == _SCALAR:
            # assign_scalar_id_before_mov: a plain id, shared with the copy
            new = env.scalar_id_before_mov(spilled)
            if new is not spilled:
                spilled = new
                f.stack[spi] = Slot(stype, spilled)
        cur.regs[dst_regno] = spilled
    elif not env.allow_ptr_leaks and spilled.is_pointer:
        raise VerifierError(f"leaking pointer from stack off {off}")
    # insn_stack_access_flags(frameno, spi)
    push_jmp_history(env, st, INSN_F_STACK_ACCESS | (spi << INSN_F_SPI_SHIFT) | f.frameno)


def _mark_reg_stack_read(env: Env, f: Frame, min_off: int, max_off: int, dst_regno: int) -> None:
    zeros = 0
    for i in range(min_off, max_off):
        slot_i = -i - 1
        spi = slot_i // BPF_REG_SIZE
        env.scratch_stack(spi)
        if f.stack[spi].types[slot_i % BPF_REG_SIZE] != STACK_ZERO:
            break
        zeros += 1
    env.frame.regs[dst_regno] = _ZERO_REG if zeros == max_off - min_off else UNKNOWN_SCALAR


def check_stack_range_initialized(env: Env, regno: int, off: int, access_size: int,
                                  zero_size_allowed: bool, write: bool, meta) -> None:
    """Helper access to ``[reg + off, reg + off + access_size)`` on the stack."""
    st = env.cur
    reg = st.frames[st.curframe].regs[regno]
    f = st.frames[reg.frameno]                  # env.func_of
    if access_size == 0 and not zero_size_allowed:
        raise VerifierError("invalid zero-sized read")
    check_stack_access_within_bounds(env, regno, off, access_size, write)
    if reg.s.var_off.mask == 0:
        v = reg.s.var_off.value
        min_off = max_off = (v - 0x10000000000000000 if v >> 63 else v) + off   # s64(v) + off
    else:
        if meta is not None and meta.raw_mode:
            meta = None
        min_off = reg.s.smin + off
        max_off = reg.s.smax + off
    if meta is not None and meta.raw_mode:
        potential_write(f, min_off, max_off + access_size)
        meta.access_size = access_size
        meta.regno = regno
        return
    end = max_off + access_size
    if min_off < end and len(f.stack) * BPF_REG_SIZE <= -min_off - 1:
        # the first byte has the highest slot index: if it is allocated, all are
        raise VerifierError("allocated_stack too small", EFAULT)
    allow_uninit, allow_leaks = env.allow_uninit_stack, env.allow_ptr_leaks
    stack = f.stack
    i = min_off
    while i < end:
        # the bytes of one slot are consecutive: each slot is looked at once
        spi = (-i - 1) // BPF_REG_SIZE
        stop = -spi * BPF_REG_SIZE
        if stop > end:
            stop = end
        slot = stack[spi]
        types = slot.types
        if not write:
            # a read changes nothing: only a byte of another kind than MISC / ZERO
            # (INVALID, SPILL where allowed) is refused, the first such one by offset
            if allow_uninit and allow_leaks and max(types) < STACK_DYNPTR:
                i = stop        # (privileged) every byte of the slot reads
                continue
            for k in range(i, stop):
                st = types[(-k - 1) % BPF_REG_SIZE]
                if (st == STACK_MISC or st == STACK_ZERO or (st == STACK_INVALID and allow_uninit)
                        or (st == STACK_SPILL and (slot.spilled.type == T.SCALAR or allow_leaks))):
                    continue
                _range_read_error(reg, regno, min_off, k, access_size)
            i = stop
            continue
        new_types = None
        spilled = slot.spilled
        for k in range(i, stop):
            j = (-k - 1) % BPF_REG_SIZE
            st = (types if new_types is None else new_types)[j]
            if st == STACK_MISC:
                continue
            if st == STACK_ZERO or (st == STACK_INVALID and allow_uninit):
                if new_types is None:
                    new_types = list(types)
                new_types[j] = STACK_MISC
                continue
            if st == STACK_SPILL and (spilled.type == T.SCALAR or allow_leaks):
                new_types = [_scrub(t) for t in (types if new_types is None else new_types)]
                spilled = UNKNOWN_SCALAR
                continue
            if new_types is not None:
                stack[spi] = Slot(tuple(new_types), spilled)
            _range_read_error(reg, regno, min_off, k, access_size)
        if new_types is not None:
            stack[spi] = Slot(tuple(new_types), spilled)
        i = stop
    # every slot the helper may touch counts as read, writes included: a helper
    # that fills only part of the range leaves the rest as it was
    live = env.liveness
    if live is None:
        return
    if reg.s.var_off.mask == 0:
        lo = (-(min_off + access_size)) // BPF_REG_SIZE
        hi = (-min_off - 1) // BPF_REG_SIZE
        for spi in range(max(lo, 0), hi + 1):
            live.mark_read(env, f.frameno, spi)         # _live_read
    else:
        for i in range(min_off, max_off + access_size):
            live.mark_read(env, f.frameno, (-i - 1) // BPF_REG_SIZE)


def _range_read_error(reg: Reg, regno: int, min_off: int, i: int, access_size: int) -> None:
    if reg.s.var_off.mask == 0:
        raise VerifierError(f"invalid read from stack R{regno} off {min_off}+{i - min_off} "
                            f"size {access_size}")
    raise VerifierError(f"invalid read from stack R{regno} var_off "
                        f"{tnum_strn(reg.s.var_off)}+{i - min_off} size {access_size}")


__all__ = ["check_stack_access_within_bounds", "check_stack_write", "check_stack_read",
           "check_stack_range_initialized", "insn_stack_access_flags", "EACCES", "EFAULT"]
