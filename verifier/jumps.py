"""Conditional jumps: branch prediction, refinement and what comparisons prove.

For ``if A op B goto L`` (kernel: check_cond_jmp_op):

* scalars: :mod:`verifier.branch` decides taken / not taken / both, and
  refines both operands on each side; registers linked by id (``r1 = r2``,
  ``r1 += 4``) learn the same bounds (sync_linked_regs);
* pointer vs 0: a maybe-NULL pointer (``map_value_or_null``...) becomes
  non-NULL on one side and the scalar 0 on the other, for every copy with the
  same id; releasing the reference on the NULL side;
* packet pointers vs ``data_end``: the side where ``data + N <= data_end``
  holds gets range N on every pointer derived from the same packet pointer
  (find_good_pkt_pointers); the other side remembers "beyond/at end";
* may_goto: explored both ways with a depth counter.

The fall-through side continues in the current state; the jump side is
pushed for later (the kernel's DFS order, which decides which error is found
first).
"""

from __future__ import annotations

from isa import opcodes as op
from isa.ints import u64
from verifier import branch as BR
from verifier import regtypes as T
from verifier.env import Env, check_reg_arg_src
from verifier.errors import EINVAL, VerifierError
from verifier.precision import INSN_F_DST_REG_STACK, INSN_F_SRC_REG_STACK, mark_chain_precision
from verifier.equiv import frame_insn_idx
from verifier.prune import find_prev_entry, widen_imprecise_scalars
from verifier.refs import for_each_reg, release_reference_nomark
from verifier.scalar import Scalar, _alu_add
from verifier.scalar_bounds import _Reg, _zext_32_to_64, reg_bounds_sync
from verifier.state import BPF_ADD_CONST, BPF_ADD_CONST32, Reg, Slot, State
from verifier.tnum import tnum_const
from verifier.worklist import push_jmp_history, push_stack

MAX_PACKET_OFF = 0xFFFF
BEYOND_PKT_END = -2   # pkt > pkt_end (kernel value)
AT_PKT_END = -1       # pkt >= pkt_end


def _is_pkt_any(r: Reg) -> bool:
    return T.is_pkt_pointer(r.type) or r.type == T.PTR_TO_PACKET_END


_TRUSTED_MODIFIERS = T.MEM_ALLOC | T.PTR_TRUSTED | T.NON_OWN_REF   # BPF_REG_TRUSTED_MODIFIERS


def _reg_not_null(r: Reg) -> bool:
    """kernel: reg_not_null, with is_trusted_reg for PTR_TO_BTF_ID: a referenced object,
    or one whose only flags are trusted ones (local objects and non-owning references)."""
    if T.type_not_null(r.type):
        return True
    if r.type & T.PTR_MAYBE_NULL or T.base(r.type) != T.PTR_TO_BTF_ID:
        return False
    flags = r.type & ~T.BASE_MASK
    return bool(r.ref_obj_id) or (bool(flags & _TRUSTED_MODIFIERS)
                                  and not flags & ~_TRUSTED_MODIFIERS)


def _is_const(r: Reg, jmp32: bool) -> bool:
    """kernel: is_reg_const - a *scalar* with a known value."""
    if r.type != T.SCALAR:
        return False
    vo = r.s.var_off
    return (vo.mask & 0xFFFFFFFF) == 0 if jmp32 else vo.mask == 0


def _const_val(r: Reg, jmp32: bool) -> int:
    return r.s.var_off.value & 0xFFFFFFFF if jmp32 else r.s.var_off.value


def _pkt_branch_taken(dst: Reg, src: Reg, opc: int) -> int:
    if src.type == T.PTR_TO_PACKET_END:
        pkt = dst
    elif dst.type == T.PTR_TO_PACKET_END:
        pkt = src
        opc = BR.flip_opcode(opc)
    else:
        return -1
    if pkt.range >= 0:
        return -1
    # BEYOND_PKT_END: pkt > pkt_end is known; AT_PKT_END: pkt >= pkt_end
    if opc in (op.JGT, op.JLE):
        if pkt.range == BEYOND_PKT_END:
            return int(opc == op.JGT)
    elif opc in (op.JGE, op.JLT):
        if pkt.range in (BEYOND_PKT_END, AT_PKT_END):
            return int(opc == op.JGE)
    return -1


def is_branch_taken(a: Reg, b: Reg, opc: int, jmp32: bool, same_reg: bool) -> int:
    return _predict(a, b, opc, jmp32, same_reg)[0]


def _predict(a: Reg, b: Reg, opc: int, jmp32: bool, same_reg: bool) -> tuple:
    """kernel: is_branch_taken, with the refined scalars where two scalars are
    compared and the outcome is unknown (branch.predict; None otherwise)."""
    at, bt = a.type, b.type
    if at == _SCALAR and bt == _SCALAR:
        return _br_predict(a.s, b.s, opc, jmp32, same_reg)
    if _is_pkt_any(a) and _is_pkt_any(b) and not jmp32:
        return _pkt_branch_taken(a, b, opc), None
    if a.is_pointer or b.is_pointer:
        if not _is_const(b, jmp32):
            opc = BR.flip_opcode(opc)
            a, b = b, a
        if not _is_const(b, jmp32):
            return -1, None
        if not _reg_not_null(a):
            return -1, None
        if _const_val(b, jmp32) != 0:
            return -1, None
        if opc == op.JEQ:
            return 0, None
        if opc == op.JNE:
            return 1, None
        return -1, None
    return _br_predict(a.s, b.s, opc, jmp32, same_reg)


_SCALAR = T.SCALAR
_br_predict = BR.predict


# --- linked scalars ------------------------------------------------------------------

LINKED_REGS_MAX = 6     # what one jump-history entry can record


def collect_linked_regs(env: Env, st: State, rid: int, out: list) -> None:
    """Registers (live ones only) and spilled scalars sharing ``rid``'s base id,
    innermost frame first.  As in the kernel the list is not deduplicated when
    both jump operands share an id, and a scalar past the sixth loses its id
    (it can no longer be kept in step)."""
    rid &= ~BPF_ADD_CONST
    for fr in range(st.curframe, -1, -1):
        f = st.frames[fr]
        live = env.live_regs_before[frame_insn_idx(st, fr)]
        for i in range(10):
            if not live >> i & 1:
                continue
            r = f.regs[i]
            if r.type == T.SCALAR and (r.id & ~BPF_ADD_CONST) == rid:
                if len(out) < LINKED_REGS_MAX:
                    out.append((fr, True, i))
                else:
                    f.regs[i] = r.with_(id=0, off=0)
        for spi, slot in enumerate(f.stack):
            if slot.types[7] != 1:
                continue
            r = slot.spilled
            if r.type == T.SCALAR and (r.id & ~BPF_ADD_CONST) == rid:
                if len(out) < LINKED_REGS_MAX:
                    out.append((fr, False, spi))
                else:
                    f.stack[spi] = Slot(slot.types, r.with_(id=0, off=0))


def _get(st: State, e) -> Reg:
    fr, is_reg, n = e
    f = st.frames[fr]
    return f.regs[n] if is_reg else f.stack[n].spilled


def _put(st: State, e, r: Reg) -> None:
    fr, is_reg, n = e
    f = st.frames[fr]
    if is_reg:
        f.regs[n] = r
    else:
        f.stack[n] = Slot(f.stack[n].types, r)


def sync_linked_regs(env: Env, st: State, known_e, linked: list) -> None:
    """Give every scalar linked to the refined register its bounds, shifted by
    the difference of their deltas.  (This kernel does not mark the updated
    registers scratched, so the log line after the jump shows only the operands.)"""
    known = _get(st, known_e)
    kid = known.id
    for e in linked:
        if e == known_e:
            continue
        r = _get(st, e)
        if r.type != T.SCALAR:
            continue
        if (r.id & ~BPF_ADD_CONST) != (kid & ~BPF_ADD_CONST):
            continue
        # a 32-bit delta and a 64-bit delta do not compose
        if (r.id ^ kid) & BPF_ADD_CONST == BPF_ADD_CONST:
            continue
        if (not (r.id & BPF_ADD_CONST) and not (kid & BPF_ADD_CONST)) or r.off == known.off:
            new = known.copy()
        else:
            # reg = known + (reg.off - known.off), keeping reg's own id and delta
            # scalar(32)_min_max_add and tnum_add of the delta, as BPF_ADD computes them
            d = _Reg.of(tuple.__new__(Scalar, _alu_add(known.s, Scalar.const(u64(r.off - known.off)),
                                                       True)))
            if (r.id | kid) & BPF_ADD_CONST32:
                _zext_32_to_64(d)
            reg_bounds_sync(d)
            new = known.copy()
            new.s = d.freeze()
            new.off = r.off
            new.id = r.id
        _put(st, e, new)


def _refine_same(s: Scalar, opc: int, jmp32: bool) -> Scalar:
    """regs_refine_cond_op(r, r, ...) - both operands are one register object."""
    r = _Reg.of(s)
    BR.regs_refine_cond_op(r, r, opc, jmp32)
    reg_bounds_sync(r)
    return r.freeze()


# --- NULL checks -----------------------------------------------------------------------

def mark_ptr_not_null(r: Reg) -> Reg:
    t = r.type
    if t & T.BASE_MASK == T.PTR_TO_MAP_VALUE:
        m = r.map
        if m is not None and m.inner is not None:
            return r.with_(type=T.CONST_PTR_TO_MAP, map=m.inner)
        if m is not None and m.map_type == "xskmap":
            t = T.PTR_TO_XDP_SOCK
        elif m is not None and m.map_type in ("sockmap", "sockhash"):
            t = T.PTR_TO_SOCKET
        else:
            t = T.PTR_TO_MAP_VALUE
    else:
        t &= ~T.PTR_MAYBE_NULL
    r = r.copy()        # r.with_(type=t), without the keyword loop
    r.type = t
    return r


_NULL_REG = Reg(T.SCALAR, Scalar.const(0))     # a pointer on its NULL branch


def mark_ptr_or_null_regs(st: State, regno: int, is_null: bool) -> None:
    regs = st.frames[st.curframe].regs
    ref_obj_id = regs[regno].ref_obj_id
    rid = regs[regno].id
    if ref_obj_id and ref_obj_id == rid and is_null:
        release_reference_nomark(st, rid)
    if not rid:
        return
    done: list = [None, None]       # the last register fixed and its replacement

    def fix(r: Reg):
        if r is done[0]:            # copies of one pointer are usually one object
            return done[1]
        if not (r.type & T.PTR_MAYBE_NULL):
            return None
        s = r.s
        if s.smin or s.smax or s.var_off.mask or s.var_off.value:
            return None
        if r.off and not r.type & (T.MEM_ALLOC | T.NON_OWN_REF):
            return None        # graph nodes point inside their object (verifier.graph)
        if is_null:
            new = _NULL_REG             # (registers are shared: never changed once stored)
        else:
            new = mark_ptr_not_null(r)
            if not ((new.type == T.PTR_TO_MAP_VALUE and new.map is not None
                     and new.map.field_off("bpf_spin_lock") >= 0)
                    or (new.type & T.MEM_ALLOC and new.map is not None
                        and new.map.field_off("bpf_spin_lock") >= 0)):
                new.id = 0      # the id only matters to spin-lock pointers from here on
        done[0], done[1] = r, new
        return new
    for_each_reg(st, fix, rid)


# --- packet pointers ---------------------------------------------------------------------

def _is_init_pkt(r: Reg, t: int) -> bool:
    return r.type == t and r.off == 0 and r.s.var_off.mask == 0 and r.s.var_off.value == 0


def find_good_pkt_pointers(st: State, dst: Reg, t: int, range_right_open: bool) -> None:
    if dst.off < 0 or (dst.off == 0 and range_right_open):
        return
    if dst.s.umax > MAX_PACKET_OFF or dst.s.umax + dst.off > MAX_PACKET_OFF:
        return
    new_range = dst.off + (1 if range_right_open else 0)
    did = dst.id

    def upd(r: Reg):
        if r.type == t and r.range < new_range:
            return r.with_(range=max(r.range, new_range))
        return None
    for_each_reg(st, upd, did)


def mark_pkt_end(st: State, regno: int, range_open: bool) -> None:
    regs = st.frames[st.curframe].regs
    r = regs[regno]
    if r.type != T.PTR_TO_PACKET:
        return
    regs[regno] = r.with_(range=BEYOND_PKT_END if range_open else AT_PKT_END)


def _pkt_cond(st: State, pkt_regno: int, pkt: Reg, cond: int) -> None:
    """Record what ``pkt' <cond> end`` (or meta' <cond> data) proves in ``st``."""
    if cond == op.JLE:
        find_good_pkt_pointers(st, pkt, pkt.type, False)
    elif cond == op.JLT:
        find_good_pkt_pointers(st, pkt, pkt.type, True)
    elif cond == op.JGT:
        mark_pkt_end(st, pkt_regno, True)
    elif cond == op.JGE:
        mark_pkt_end(st, pkt_regno, False)


def try_match_pkt_pointers(insn, dst: Reg, src: Reg, this: State, other: State) -> bool:
    if not insn.code & op.X or (insn.code & 7) == op.JMP32:
        return False
    opc = insn.code & 0xF0
    if opc not in (op.JGT, op.JLT, op.JGE, op.JLE):
        return False
    if ((dst.type == T.PTR_TO_PACKET and src.type == T.PTR_TO_PACKET_END)
            or (dst.type == T.PTR_TO_PACKET_META and _is_init_pkt(src, T.PTR_TO_PACKET))):
        regno, pkt, cond = insn.dst, dst, opc
    elif ((dst.type == T.PTR_TO_PACKET_END and src.type == T.PTR_TO_PACKET)
          or (_is_init_pkt(dst, T.PTR_TO_PACKET) and src.type == T.PTR_TO_PACKET_META)):
        regno, pkt, cond = insn.src, src, BR.flip_opcode(opc)
    else:
        return False
    # jump side: cond holds; fall-through side: the reverse holds
    _pkt_cond(other, regno, pkt, cond)
    _pkt_cond(this, regno, pkt, BR.rev_opcode(cond))
    return True


# --- the instruction ---------------------------------------------------------------------

def _with_s(r: Reg, s) -> Reg:
    """r.with_(s=s), without the keyword loop."""
    r = r.copy()
    r.s = s
    return r


_X, _JMP32, _JA, _JCOND = op.X, op.JMP32, op.JA, op.JCOND
_PTR_TO_STACK = T.PTR_TO_STACK
_PKT_CMP = frozenset({op.JGT, op.JLT, op.JGE, op.JLE})    # try_match_pkt_pointers' ops
_PKT_ANY = frozenset({T.PTR_TO_PACKET, T.PTR_TO_PACKET_META, T.PTR_TO_PACKET_END})  # _is_pkt_any
_br_predict_k = BR.predict_k


def check_cond_jmp_op(env: Env, insn, insn_idx: int) -> int:
    """Returns the next instruction for the current state."""
    code = insn.code
    opc = code & 0xF0
    if opc == _JA or opc > _JCOND:
        raise VerifierError(f"invalid BPF_JMP/JMP32 opcode {opc >> 4:x}", EINVAL)
    if opc == _JCOND:
        return _may_goto(env, insn, insn_idx)
    dstno, srcno = insn.dst, insn.src
    dst = check_reg_arg_src(env, dstno)
    st = env.cur
    regs = st.frames[st.curframe].regs
    flags = 0
    is_x = code & _X
    if is_x:
        if insn.imm != 0:
            raise VerifierError("BPF_JMP/JMP32 uses reserved fields", EINVAL)
        src = check_reg_arg_src(env, srcno)
        if src.type == _PTR_TO_STACK:
            flags |= INSN_F_SRC_REG_STACK
        if dst.type == _PTR_TO_STACK:
            flags |= INSN_F_DST_REG_STACK
    else:
        if srcno != 0:
            raise VerifierError("BPF_JMP/JMP32 uses reserved fields", EINVAL)
        if dst.type == _SCALAR:
            return _cond_jmp_scalar_k(env, st, regs, insn, insn_idx, dst, opc,
                                      (code & 7) == _JMP32)
        if dst.type == _PTR_TO_STACK:
            push_jmp_history(env, st, INSN_F_DST_REG_STACK)
        return _cond_jmp_pointer_k(env, st, insn, insn_idx, dst, opc, (code & 7) == _JMP32)
    if flags:
        push_jmp_history(env, st, flags)
    jmp32 = (code & 7) == _JMP32
    if dst.type in _PKT_ANY and src.type in _PKT_ANY and not jmp32:
        return _cond_jmp_pkt(env, st, insn, insn_idx, dst, src, opc)
    # this kernel has no "same register" shortcut: r8 vs r8 is decided (or not)
    # and refined like two registers that happen to be one
    pred, ref = _predict(dst, src, opc, jmp32, False)
    if pred >= 0:
        if not dst.is_pointer:
            mark_chain_precision(env, dstno)
        if not src.is_pointer:
            mark_chain_precision(env, srcno)
        return insn_idx + insn.off + 1 if pred == 1 else insn_idx + 1
    dst_scalar, src_scalar = dst.type == _SCALAR, src.type == _SCALAR
    linked: list = []
    if src_scalar and src.id:
        collect_linked_regs(env, st, src.id, linked)
    if dst_scalar and dst.id:
        collect_linked_regs(env, st, dst.id, linked)
    if len(linked) > 1:
        push_jmp_history(env, st, 0, linked)
    other = push_stack(env, insn_idx + insn.off + 1, insn_idx)
    oregs = other.frames[other.curframe].regs
    if dst_scalar and src_scalar and srcno == dstno:
        oregs[dstno] = _with_s(dst, _refine_same(dst.s, opc, jmp32))
        regs[dstno] = _with_s(dst, _refine_same(dst.s, BR.rev_opcode(opc), jmp32))
    elif dst_scalar and src_scalar:
        # the refinements is_branch_taken computed (kernel: reg_set_min_max)
        oregs[dstno] = _with_s(dst, ref.true_a)
        regs[dstno] = _with_s(dst, ref.false_a)
        oregs[srcno] = _with_s(src, ref.true_b)
        regs[srcno] = _with_s(src, ref.false_b)
    src = regs[srcno]
    if src.type == _SCALAR and src.id:
        e = (st.curframe, True, srcno)
        sync_linked_regs(env, st, e, linked)
        sync_linked_regs(env, other, e, linked)
    dst = regs[dstno]
    if dst.type == _SCALAR and dst.id:
        e = (st.curframe, True, dstno)
        sync_linked_regs(env, st, e, linked)
        sync_linked_regs(env, other, e, linked)
    dst = regs[dstno]
    src = regs[srcno]
    if (not jmp32 and src.is_pointer and dst.is_pointer
            and T.may_be_null(src.type) != T.may_be_null(dst.type)
            and T.base(src.type) != T.PTR_TO_BTF_ID and T.base(dst.type) != T.PTR_TO_BTF_ID):
        eq_regs = oregs if opc == op.JEQ else (regs if opc == op.JNE else None)
        r, other_type = ((insn.src, dst.type) if T.may_be_null(src.type)
                         else (insn.dst, src.type))
        # only a partner that is never NULL proves anything: the stack, the context
        # and packet pointers do not (the kernel keeps the value maybe-NULL)
        if eq_regs is not None and T.type_not_null(other_type):
            eq_regs[r] = mark_ptr_not_null(eq_regs[r])
    if not (not jmp32 and opc in _PKT_CMP and try_match_pkt_pointers(insn, dst, src, st, other)) \
            and env.is_pointer_value(dstno):
        raise VerifierError(f"R{dstno} pointer comparison prohibited")
    return insn_idx + 1


def _cond_jmp_pkt(env: Env, st: State, insn, insn_idx: int, dst: Reg, src: Reg,
                  opc: int) -> int:
    """``if rD <op> rS`` with both packet pointers (data, meta or end): check_cond_jmp_op's
    steps for this form - decided only by a range already known to be at or beyond the
    end; no scalar to refine or link, neither maybe-NULL; what a packet comparison proves
    goes to each side (try_match_pkt_pointers), any other comparison of pointers is
    refused unless pointers may leak."""
    pred = _pkt_branch_taken(dst, src, opc)
    if pred >= 0:
        return insn_idx + insn.off + 1 if pred == 1 else insn_idx + 1
    other = push_stack(env, insn_idx + insn.off + 1, insn_idx)
    if not (opc in _PKT_CMP and try_match_pkt_pointers(insn, dst, src, st, other)) \
            and env.is_pointer_value(insn.dst):
        raise VerifierError(f"R{insn.dst} pointer comparison prohibited")
    return insn_idx + 1


def _cond_jmp_scalar_k(env: Env, st: State, regs: list, insn, insn_idx: int, dst: Reg,
                       opc: int, jmp32: bool) -> int:
    """``if rD <op> K`` with rD a scalar: check_cond_jmp_op's steps for this form
    (the K operand is a constant scalar that is never stored, so no register is built)."""
    dstno = insn.dst
    pred, true_s, false_s = _br_predict_k(dst.s, insn.imm, opc, jmp32)
    if pred >= 0:
        mark_chain_precision(env, dstno)
        return insn_idx + insn.off + 1 if pred == 1 else insn_idx + 1
    linked: list = []
    if dst.id:
        collect_linked_regs(env, st, dst.id, linked)
        if len(linked) > 1:
            push_jmp_history(env, st, 0, linked)
    other = push_stack(env, insn_idx + insn.off + 1, insn_idx)
    other.frames[other.curframe].regs[dstno] = _with_s(dst, true_s)
    regs[dstno] = new = _with_s(dst, false_s)
    if new.id:
        e = (st.curframe, True, dstno)
        sync_linked_regs(env, st, e, linked)
        sync_linked_regs(env, other, e, linked)
    return insn_idx + 1


def _cond_jmp_pointer_k(env: Env, st: State, insn, insn_idx: int, dst: Reg, opc: int,
                        jmp32: bool) -> int:
    """``if rD <op> K`` with rD a pointer: only ``== 0`` / ``!= 0`` of a pointer
    known not to be NULL is decided (is_branch_taken); a NULL check splits a
    maybe-NULL pointer (mark_ptr_or_null_regs); any other comparison of a pointer
    with a constant is refused."""
    imm = insn.imm
    # (a maybe-NULL pointer, the NULL check's, is never known not NULL: no call for it)
    if (not imm & 0xFFFFFFFF and opc in _EQ_NE and not dst.type & T.PTR_MAYBE_NULL
            and _reg_not_null(dst)):
        return insn_idx + insn.off + 1 if opc == op.JNE else insn_idx + 1
    other = push_stack(env, insn_idx + insn.off + 1, insn_idx)
    dstno = insn.dst
    if not jmp32 and imm == 0 and opc in _EQ_NE and dst.type & T.PTR_MAYBE_NULL:
        mark_ptr_or_null_regs(st, dstno, opc == op.JNE)
        mark_ptr_or_null_regs(other, dstno, opc == op.JEQ)
    elif env.is_pointer_value(dstno):
        raise VerifierError(f"R{dstno} pointer comparison prohibited")
    return insn_idx + 1


_EQ_NE = (op.JEQ, op.JNE)


def _may_goto(env: Env, insn, insn_idx: int) -> int:
    if insn.code != (op.JMP | op.JCOND) or insn.src != op.MAY_GOTO or insn.dst or insn.imm:
        raise VerifierError(f"invalid may_goto imm {insn.imm}", EINVAL)
    cur = env.cur
    prev = find_prev_entry(env, cur.parent, insn_idx) if cur.parent is not None else None
    queued = push_stack(env, insn_idx + 1, insn_idx)
    queued.may_goto_depth += 1
    if prev is not None:
        widen_imprecise_scalars(env, prev, queued)
    return insn_idx + insn.off + 1


__all__ = ["check_cond_jmp_op", "is_branch_taken", "mark_ptr_or_null_regs", "tnum_const",
           "reg_bounds_sync"]
