"""Pointer arithmetic: ``ptr (+|-) scalar`` and the offset sanity checks.

Kernel counterpart: ``adjust_ptr_min_max_vals`` and ``check_reg_sane_offset`` in
kernel/bpf/verifier.c.  :mod:`verifier.alu` decides that pointer math applies and calls in
here; the result keeps the pointer's type and id (a packet pointer moved by a variable
amount gets a fresh id and loses its checked range).
"""

from __future__ import annotations

from isa import opcodes as op
from isa.ints import S64_MAX, S64_MIN, fits_s32, s64
from isa.kernel_text import ALU_STR
from verifier import regtypes as T
from verifier.env import BPF_MAX_VAR_OFF, Env
from verifier.errors import EINVAL, VerifierError
from verifier.scalar import Scalar
from verifier.state import Reg
from verifier.tnum import U64_MAX, tnum_add, tnum_sub


def _sane_offset(env: Env, r: Reg, ptype: int) -> None:
    """kernel: check_reg_sane_offset."""
    s = r.s
    known = s.var_off.mask == 0
    val = s64(s.var_off.value)
    if known and (val >= BPF_MAX_VAR_OFF or val <= -BPF_MAX_VAR_OFF):
        raise VerifierError(f"math between {T.type_str(ptype)} pointer and {val} is not "
                            f"allowed", EINVAL)
    if r.off >= BPF_MAX_VAR_OFF or r.off <= -BPF_MAX_VAR_OFF:
        raise VerifierError(f"{T.type_str(ptype)} pointer offset {r.off} is not allowed", EINVAL)
    if s.smin == S64_MIN:
        raise VerifierError(f"math between {T.type_str(ptype)} pointer and register with "
                            f"unbounded min value is not allowed", EINVAL)
    if s.smin >= BPF_MAX_VAR_OFF or s.smin <= -BPF_MAX_VAR_OFF:
        raise VerifierError(f"value {s.smin} makes {T.type_str(ptype)} pointer be out of "
                            f"bounds", EINVAL)


def _sane(r: Reg) -> bool:
    """None of the checks of _sane_offset fails (the common case, tested without a call
    per check; a failure is reported by _sane_offset)."""
    s = r.s
    vo = s.var_off
    if not vo.mask:
        v = vo.value
        if v >> 63:
            v -= 0x10000000000000000
        if not -BPF_MAX_VAR_OFF < v < BPF_MAX_VAR_OFF:
            return False
    return -BPF_MAX_VAR_OFF < r.off < BPF_MAX_VAR_OFF and -BPF_MAX_VAR_OFF < s.smin < BPF_MAX_VAR_OFF


# kernel: adjust_ptr_min_max_vals' switch of pointer types that allow arithmetic
_PTR_ARITH_TYPES = frozenset((T.PTR_TO_CTX, T.PTR_TO_MAP_VALUE, T.PTR_TO_MAP_KEY, T.PTR_TO_STACK,
                              T.PTR_TO_PACKET_META, T.PTR_TO_PACKET, T.PTR_TO_TP_BUFFER,
                              T.PTR_TO_BTF_ID, T.PTR_TO_MEM, T.PTR_TO_BUF, T.PTR_TO_FUNC,
                              T.CONST_PTR_TO_DYNPTR))


def adjust_ptr_min_max_vals(env: Env, insn, ptr: Reg, offr: Reg, dst_is_off: bool) -> None:
    """``ptr (+|-) off`` into insn.dst (kernel: adjust_ptr_min_max_vals)."""
    opc = insn.code & 0xF0
    dst = insn.dst
    o = offr.s
    known = o.var_off.mask == 0
    if (known and (o.smin != o.smax or o.umin != o.umax)) or o.smin > o.smax or o.umin > o.umax:
        env.mark_unknown(dst)
        return
    if (insn.code & 7) != op.ALU64:
        if opc == op.SUB and env.allow_ptr_leaks:
            env.mark_unknown(dst)
            return
        raise VerifierError(f"R{dst} 32-bit pointer arithmetic prohibited")
    pt = ptr.type
    if pt & T.PTR_MAYBE_NULL:
        raise VerifierError(f"R{dst} pointer arithmetic on {T.type_str(pt)} prohibited, "
                            f"null-check it first")
    b = pt & T.BASE_MASK
    if b == T.PTR_TO_MEM and pt & T.PTR_UNTRUSTED:
        return
    if b not in _PTR_ARITH_TYPES:
        allowed = False
        if b == T.PTR_TO_FLOW_KEYS and known:
            allowed = True
        elif b in (T.PTR_TO_FLOW_KEYS, T.CONST_PTR_TO_MAP) and known and o.smin == 0 and opc == op.ADD:
            allowed = True
        if not allowed:
            raise VerifierError(f"R{dst} pointer arithmetic on {T.type_str(pt)} prohibited")
    if not _sane(offr):
        _sane_offset(env, offr, pt)     # raises
    if not _sane(ptr):
        _sane_offset(env, ptr, pt)
    p = ptr.s
    new = ptr.copy()
    new.precise = False
    new.id = ptr.id
    if opc == op.ADD:
        if known and fits_s32(ptr.off + o.smin):
            new.off = ptr.off + o.smin
        else:
            smin, smax = p.smin + o.smin, p.smax + o.smax
            if not (S64_MIN <= smin <= S64_MAX and S64_MIN <= smax <= S64_MAX):
                smin, smax = S64_MIN, S64_MAX
            umin, umax = p.umin + o.umin, p.umax + o.umax
            if umin > U64_MAX or umax > U64_MAX:
                umin, umax = 0, U64_MAX
            var_off = tnum_add(p.var_off, o.var_off)
            new.s = Scalar.from_bounds(var_off=var_off, smin=smin, smax=smax, umin=umin,
                                       umax=umax)
            if T.is_pkt_pointer(pt):
                new.id = env.new_id()
                new.range = 0
    elif opc == op.SUB:
        if dst_is_off:
            raise VerifierError(f"R{dst} tried to subtract pointer from scalar")
        if pt == T.PTR_TO_STACK:
            raise VerifierError(f"R{dst} subtraction from stack pointer prohibited")
        if known and fits_s32(ptr.off - o.smin):
            new.off = ptr.off - o.smin
        else:
            smin, smax = p.smin - o.smax, p.smax - o.smin
            if not (S64_MIN <= smin <= S64_MAX and S64_MIN <= smax <= S64_MAX):
                smin, smax = S64_MIN, S64_MAX
            if p.umin < o.umax:
                umin, umax = 0, U64_MAX
            else:
                umin, umax = p.umin - o.umax, p.umax - o.umin
            var_off = tnum_sub(p.var_off, o.var_off)
            new.s = Scalar.from_bounds(var_off=var_off, smin=smin, smax=smax, umin=umin,
                                       umax=umax)
            if T.is_pkt_pointer(pt):
                new.id = env.new_id()
                if o.smin < 0:
                    new.range = 0
    elif opc in (op.AND, op.OR, op.XOR):
        raise VerifierError(f"R{dst} bitwise operator {ALU_STR[opc]} on pointer prohibited")
    else:
        raise VerifierError(f"R{dst} pointer arithmetic with {ALU_STR[opc]} operator prohibited")
    if T.is_pkt_pointer(pt) and new.range < 0:
        # the live kernel: a packet pointer known to be at or beyond pkt_end (a negative
        # range, AT_PKT_END / BEYOND_PKT_END) moved by any amount is known nowhere
        new.range = 0
    # pointer types do not carry 32-bit bounds
    s = new.s
    if s.var_off.mask != 0:
        new.s = Scalar.from_bounds(var_off=s.var_off, smin=s.smin, smax=s.smax, umin=s.umin,
                                   umax=s.umax)
    if not _sane(new):
        _sane_offset(env, new, pt)
    env.set_reg(dst, new)
