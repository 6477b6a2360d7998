"""ALU instructions: register moves, scalar arithmetic, and the choice of pointer arithmetic
(done in :mod:`verifier.ptr_alu`).

Follows the kernel's ``check_alu_op`` / ``adjust_reg_min_max_vals`` /
``adjust_ptr_min_max_vals``: reserved-field checks first, then operand
reads, then the transfer function.  Scalar math is delegated to
:mod:`verifier.scalar`; this module decides *which* math applies (pointer
+ scalar, scalar + scalar, pointer - pointer...) and keeps register ids
(``r1 = r2`` shares an id so a later bounds check on one refines both).

Privileged mode (the only one we model) allows pointer leaks, so the
kernel's "pointer arithmetic prohibited"-for-leaks branches reduce to
"the result is an unknown scalar".
"""

from __future__ import annotations

from isa import opcodes as op
from isa.ints import s32, s64
from isa.kernel_text import ALU_STR
from verifier import regtypes as T
from verifier import scalar as S
from verifier.env import BPF_MAX_VAR_OFF, Env, check_reg_arg_dst, check_reg_arg_src
from verifier.errors import EINVAL, VerifierError
from verifier.precision import mark_chain_precision
from verifier.ptr_alu import adjust_ptr_min_max_vals
from verifier.scalar import Scalar
from verifier.state import BPF_ADD_CONST, BPF_ADD_CONST32, BPF_ADD_CONST64, Reg, scalar_reg
from verifier.tnum import U32_MAX, U64_MAX, Tnum, tnum_const_subreg, tnum_subreg_is_const
from verifier.worklist import push_stack

# ALU ops whose result range this kernel tracks (kernel 6.18: no DIV/MOD)
_TRACKED = (op.ADD, op.SUB, op.NEG, op.AND, op.XOR, op.OR, op.MUL, op.END)


def _src_const(src: Scalar, alu64: bool) -> bool:
    if alu64:
        return src.var_off.mask == 0 and src.smin == src.smax and src.umin == src.umax
    return (tnum_subreg_is_const(src.var_off) and src.s32_min == src.s32_max
            and src.u32_min == src.u32_max)


def safe_to_compute(opc: int, src: Scalar, alu64: bool) -> bool:
    """kernel: is_safe_to_compute_dst_reg_range."""
    if opc in _TRACKED:
        return True
    if opc in (op.LSH, op.RSH, op.ARSH):
        return _src_const(src, alu64) and src.umax < (64 if alu64 else 32)
    return False


def const_alu(opc: int, a: int, b: int, alu64: bool, imm: int = 0, to_be: bool = False) -> int:
    """The concrete result of a tracked ALU op on u64 operands (what the
    abstract transfer functions give for two constants)."""
    if opc == _END:
        width = imm
        v = a & ((1 << width) - 1)
        if alu64 or to_be:
            v = int.from_bytes(v.to_bytes(width // 8, "little"), "big")
        return v
    if alu64:
        M = U64_MAX
    else:
        a &= U32_MAX
        b &= U32_MAX
        M = U32_MAX
    if opc == _ADD:
        return (a + b) & M
    if opc == _SUB:
        return (a - b) & M
    if opc == _AND:
        return a & b
    if opc == _OR:
        return a | b
    if opc == _LSH:
        return (a << b) & M
    if opc == _RSH:
        return a >> b
    if opc == _XOR:
        return a ^ b
    if opc == op.MUL:
        return (a * b) & M
    if opc == _ARSH:
        bits = 64 if alu64 else 32
        sa = a - (1 << bits) if a >> (bits - 1) else a
        return (sa >> b) & M
    return -a & M   # NEG


_CONSTS: dict[int, Scalar] = {}
_new = tuple.__new__
_U32_UNKNOWN = S.mov(S.Scalar.unknown(), alu64=False)


# every memo of scalar results, this module's and scalar.py's: emptied at the end of a
# verification (core._verify)
MEMOS = (_CONSTS, *S.MEMOS)


def clear_memos() -> None:
    """Start a verification cold: no remembered constants or scalar results."""
    for memo in MEMOS:
        memo.clear()


def const_scalar(v: int) -> Scalar:
    """Scalar.const, built directly (every bound equals the value) and cached
    (loops recompute the same constants)."""
    s = _CONSTS.get(v)
    if s is None:
        if len(_CONSTS) > 8192:
            _CONSTS.clear()
        v &= U64_MAX
        lo = v & U32_MAX
        sv = v - (1 << 64) if v >> 63 else v               # s64(v)
        s32v = lo - (1 << 32) if lo >> 31 else lo          # s32(lo)
        s = _CONSTS[v] = _new(Scalar, (_new(Tnum, (v, 0)), sv, sv, v, v, s32v, s32v, lo, lo))
    return s


# constant scalar registers for the values programs load most (0..255, and -1 as u32 and as
# u64), built once and shared as registers are (never changed once stored): a MOV or a
# constant ALU result with no precision mark takes one instead of building a register
_CONST_REGS = {v: scalar_reg(S.Scalar.const(v)) for v in (*range(256), U32_MAX, U64_MAX)}


def const_reg(v: int) -> Reg:
    """``scalar_reg(const_scalar(v))`` for a u64 value ``v``: the shared register when
    there is one."""
    r = _CONST_REGS.get(v)
    if r is None:
        c = _CONSTS.get(v)
        r = scalar_reg(c if c is not None else const_scalar(v))
    return r


def scalar_alu(opc: int, dst: Scalar, src: Scalar, alu64: bool, off: int = 0, imm: int = 0,
               to_be: bool = False) -> Scalar:
    """adjust_scalar_min_max_vals without the path fork."""
    if opc not in _TRACKED and not safe_to_compute(opc, src, alu64):     # (_TRACKED: safe)
        return S.Scalar.unknown()
    if dst.var_off.mask == 0 and src.var_off.mask == 0 and opc != op.END:
        # constants stay constants: every bound collapses onto the tnum
        return const_scalar(const_alu(opc, dst.var_off.value, src.var_off.value, alu64))
    if opc == op.END and dst.var_off.mask == 0:
        return const_scalar(const_alu(opc, dst.var_off.value, 0, alu64, imm, to_be))
    return S.alu(opc, dst, src, alu64=alu64, off=off, imm=imm, to_be=to_be)


def _should_fork(opc: int, dst: Scalar, src: Scalar) -> int:
    """kernel: maybe_fork_scalars - dst in [-1, 0] AND/OR a constant is
    explored as two constants.  Returns 64, 32 or 0 (no fork)."""
    if opc not in (op.AND, op.OR) or src.var_off.mask != 0:
        return 0
    if dst.smin == -1 and dst.smax == 0:
        return 64
    if dst.s32_min == -1 and dst.s32_max == 0:
        return 32
    return 0


# scalar-op-constant ops that keep a constant dst constant with no side effect (no
# fork: a constant is never in [-1, 0] as a range; shift amounts are checked before)
_CONST_FAST = frozenset((op.ADD, op.SUB, op.MUL, op.AND, op.OR, op.XOR, op.LSH, op.RSH,
                         op.ARSH))


# pointer types (no flags) whose constant arithmetic the fast path of check_alu_op
# handles: all are in adjust_ptr_min_max_vals' list of types that allow arithmetic
_PTR_CONST_FAST = frozenset((T.PTR_TO_STACK, T.PTR_TO_MAP_VALUE, T.PTR_TO_MAP_KEY, T.PTR_TO_CTX,
                             T.PTR_TO_PACKET, T.PTR_TO_PACKET_META, T.PTR_TO_MEM, T.PTR_TO_BUF,
                             T.PTR_TO_TP_BUFFER))
_PKT_TYPES = (T.PTR_TO_PACKET, T.PTR_TO_PACKET_META)
_ZERO_SCALAR = S.Scalar.const(0)


# opcode and type constants bound once: check_alu_op runs for every ALU instruction
_ADD, _SUB, _AND, _OR, _XOR, _LSH, _RSH, _ARSH = (op.ADD, op.SUB, op.AND, op.OR, op.XOR, op.LSH,
                                                  op.RSH, op.ARSH)
_MOD, _DIV, _NEG, _END, _MOV, _ALU64, _X = op.MOD, op.DIV, op.NEG, op.END, op.MOV, op.ALU64, op.X
_SHIFTS = frozenset((op.LSH, op.RSH, op.ARSH))
_SCALAR, _PTR_TO_STACK, _NOT_INIT = T.SCALAR, T.PTR_TO_STACK, T.NOT_INIT


def check_alu_op(env: Env, insn) -> None:
    code = insn.code
    opc = code & 0xF0
    alu64 = (code & 7) == _ALU64
    is_x = bool(code & _X)
    dst, src = insn.dst, insn.src

    if opc == _MOV:
        if is_x:
            if not alu64:
                if insn.off not in (0, 8, 16) or insn.imm:
                    raise VerifierError("BPF_MOV uses reserved fields", EINVAL)
            elif insn.off == 1:   # BPF_ADDR_SPACE_CAST
                if insn.imm not in (1, 1 << 16):
                    raise VerifierError("addr_space_cast insn can only convert between "
                                        "address space 1 and 0", EINVAL)
                raise VerifierError("addr_space_cast insn can only be used in a program that "
                                    "has an associated arena", EINVAL)
            else:
                if insn.off not in (0, 8, 16, 32) or insn.imm:
                    raise VerifierError("BPF_MOV uses reserved fields", EINVAL)
        else:
            if src != 0 or insn.off != 0:
                raise VerifierError("BPF_MOV uses reserved fields", EINVAL)
        st = env.cur
        regs = st.frames[st.curframe].regs
        if is_x and (src > 10 or regs[src].type == _NOT_INIT):
            check_reg_arg_src(env, src)                 # raises
        if dst >= 10:
            if is_x:
                env.scratched_regs |= 1 << src          # (check_reg_arg_src's mark)
            check_reg_arg_dst(env, dst, mark=False)     # raises
        if is_x:
            env.scratched_regs |= (1 << src) | (1 << dst)
            if alu64 and not insn.off:
                # r = r: the copy shares the (immutable) register, and its scalar id
                r = regs[src]
                if r.type == _SCALAR:
                    new = env.scalar_id_before_mov(r)
                    if new is not r:
                        r = regs[src] = new
                regs[dst] = r
            else:
                _mov_reg(env, insn, alu64)
        else:
            env.scratched_regs |= 1 << dst
            v = insn.imm & (U64_MAX if alu64 else U32_MAX)
            # const_reg(v), inline: no call for the most frequent instruction, whichever
            # the value (a counter soon leaves the table)
            r = _CONST_REGS.get(v)
            if r is None:
                c = _CONSTS.get(v)
                r = scalar_reg(c if c is not None else const_scalar(v))
            regs[dst] = r
        return

    if opc == _END or opc == _NEG:
        if opc == _NEG:
            if is_x or src != 0 or insn.off != 0 or insn.imm != 0:
                raise VerifierError("BPF_NEG uses reserved fields", EINVAL)
        else:
            if (src != 0 or insn.off != 0 or insn.imm not in (16, 32, 64)
                    or (alu64 and is_x)):
                raise VerifierError("BPF_END uses reserved fields", EINVAL)
        check_reg_arg_src(env, dst)
        d = env.reg(dst)
        if d.type == _SCALAR:
            check_reg_arg_dst(env, dst, mark=False)
            if opc == _END and not alu64 and not is_x and insn.imm == 64:
                # le64 on a little-endian machine changes nothing, links included
                env.set_reg(dst, d)
                return
            res = scalar_alu(opc, d.s, d.s, alu64, imm=insn.imm, to_be=is_x)
            env.set_reg(dst, scalar_reg(res, d.precise))
        else:
            check_reg_arg_dst(env, dst)
        return

    if opc > _END:
        raise VerifierError(f"invalid BPF_ALU opcode {opc >> 4:x}", EINVAL)

    # all other ALU ops (the fast cases of ``op= imm`` are check_alu_imm's)
    off = insn.off
    if is_x:
        if insn.imm != 0 or (off and (off != 1 or (opc != _MOD and opc != _DIV))):
            raise VerifierError("BPF_ALU uses reserved fields", EINVAL)
        check_reg_arg_src(env, src)
    elif src != 0 or (off and (off != 1 or (opc != _MOD and opc != _DIV))):
        raise VerifierError("BPF_ALU uses reserved fields", EINVAL)
    check_reg_arg_src(env, dst)
    if (opc == _MOD or opc == _DIV) and not is_x and insn.imm == 0:
        raise VerifierError("div by zero", EINVAL)
    if opc in _SHIFTS and not is_x:
        size = 64 if alu64 else 32
        if insn.imm < 0 or insn.imm >= size:
            raise VerifierError(f"invalid shift {insn.imm}", EINVAL)
    check_reg_arg_dst(env, dst, mark=False)
    adjust_reg_min_max_vals(env, insn)


def check_alu_imm(env: Env, insn) -> None:
    """check_alu_op for ``dst op= imm`` with op in _CONST_FAST (alu_checker picks it by
    opcode): with valid fields, a constant scalar dst and a constant pointer offset
    are computed here, where none of check_alu_op's checks can fail (the hot cases of
    unrolled and counting loops and of ``r2 = r10; r2 += -8``); the rest goes to
    check_alu_op."""
    dst = insn.dst
    if dst < 10 and not insn.src and not insn.off:
        st = env.cur
        regs = st.frames[st.curframe].regs
        d = regs[dst]
        code = insn.code
        opc = code & 0xF0
        if d.type == _SCALAR:
            s = d.s
            if not s.var_off.mask and (not d.id or (opc != _ADD and opc != _SUB)):
                # constant op= imm: what adjust_reg_min_max_vals computes, without
                # the intermediate scalars
                imm = insn.imm
                if opc == _ADD:
                    v = (s.var_off.value + imm) & (U64_MAX if code & 7 == _ALU64 else U32_MAX)
                elif opc not in _SHIFTS or 0 <= imm < (64 if code & 7 == _ALU64 else 32):
                    v = const_alu(opc, s.var_off.value, imm & U64_MAX, code & 7 == _ALU64)
                else:
                    check_alu_op(env, insn)     # invalid shift
                    return
                env.scratched_regs |= 1 << dst
                # const_reg(v) inline, as in check_alu_op's MOV (unrolled and counting
                # loops: mostly values past the table), and with the precision mark kept
                r = None if d.precise else _CONST_REGS.get(v)
                if r is None:
                    c = _CONSTS.get(v)
                    r = scalar_reg(c if c is not None else const_scalar(v), d.precise)
                regs[dst] = r
                return
            if opc not in _SHIFTS or 0 <= insn.imm < (64 if code & 7 == _ALU64 else 32):
                # a variable scalar: check_alu_op's checks cannot fail for it
                # either, so on to the transfer function
                env.scratched_regs |= 1 << dst
                _scalar_op(env, insn, d, const_scalar(insn.imm & U64_MAX), opc,
                           code & 7 == _ALU64)
                return
        elif ((code & 7) == _ALU64 and d.type in _PTR_CONST_FAST and d.s == _ZERO_SCALAR
              and (opc == _ADD or (opc == _SUB and d.type != _PTR_TO_STACK))):
            # pointer +/- imm with no variable part (fp-8, map_value+16, pkt+14): when
            # every offset stays within BPF_MAX_VAR_OFF none of the checks of
            # adjust_ptr_min_max_vals can fail, and only the fixed offset moves
            imm = insn.imm
            new_off = d.off + imm if opc == _ADD else d.off - imm
            if (-BPF_MAX_VAR_OFF < imm < BPF_MAX_VAR_OFF
                    and -BPF_MAX_VAR_OFF < d.off < BPF_MAX_VAR_OFF
                    and -BPF_MAX_VAR_OFF < new_off < BPF_MAX_VAR_OFF):
                env.scratched_regs |= 1 << dst
                new = d.copy()
                new.precise = False
                new.off = new_off
                if new.range < 0 and d.type in _PKT_TYPES:
                    new.range = 0   # at or beyond pkt_end, moved: known nowhere
                regs[dst] = new
                return
    check_alu_op(env, insn)


def check_alu_reg(env: Env, insn) -> None:
    """check_alu_op for ``dst op= src`` with op in _CONST_FAST (alu_checker picks it by
    opcode): two scalars with valid fields go straight to the transfer function, as
    none of check_alu_op's checks can fail for them; the rest goes to check_alu_op."""
    dst, src = insn.dst, insn.src
    if dst < 10 and src < 10 and not insn.imm and not insn.off:
        st = env.cur
        regs = st.frames[st.curframe].regs
        d = regs[dst]
        s = regs[src]
        if d.type == _SCALAR and s.type == _SCALAR:
            env.scratched_regs |= (1 << src) | (1 << dst)
            if d.precise:
                mark_chain_precision(env, src)
            code = insn.code
            _scalar_op(env, insn, d, s.s, code & 0xF0, code & 7 == _ALU64)
            return
    check_alu_op(env, insn)


def check_mov_imm(env: Env, insn) -> None:
    """check_alu_op for ``dst = imm`` (MOV K, 32 and 64 bits; alu_checker picks it by
    opcode): with no reserved field set and a writable dst, none of check_alu_op's checks
    can fail and what is left is its constant MOV, here in a function of its own so the
    walk's most frequent instruction touches a few lines of bytecode instead of the
    whole of check_alu_op (the verify of a small program runs cold: see the test that
    holds the two equal, tests/verifier/test_fast_paths.py); the rest goes there."""
    dst = insn.dst
    if dst < 10 and not insn.src and not insn.off:
        st = env.cur
        env.scratched_regs |= 1 << dst
        v = insn.imm & (U64_MAX if insn.code & 7 == _ALU64 else U32_MAX)
        r = _CONST_REGS.get(v)          # const_reg(v), inline (as in check_alu_op)
        if r is None:
            c = _CONSTS.get(v)
            r = scalar_reg(c if c is not None else const_scalar(v))
        st.frames[st.curframe].regs[dst] = r
        return
    check_alu_op(env, insn)


def check_mov64_reg(env: Env, insn) -> None:
    """check_alu_op for the 64-bit ``dst = src`` (MOV X, no sign extension; alu_checker
    picks it by opcode), as check_mov_imm for ``dst = imm``: with no reserved field set,
    a readable src and a writable dst, check_alu_op's register copy (the register shared,
    a scalar given its id first); the rest goes to check_alu_op."""
    dst, src = insn.dst, insn.src
    if dst < 10 and src <= 10 and not insn.off and not insn.imm:
        st = env.cur
        regs = st.frames[st.curframe].regs
        r = regs[src]
        if r.type != _NOT_INIT:
            env.scratched_regs |= (1 << src) | (1 << dst)
            if r.type == _SCALAR:
                if not r.id and r.s.var_off.mask:
                    # env.scalar_id_before_mov's commonest case (an unknown scalar with no
                    # id, say R0 after a helper call, gets a new one) without its calls
                    # (with_'s keyword parsing, new_id): test_fast_paths holds it equal
                    r = r.copy()
                    env.id_gen += 1
                    r.id = env.id_gen
                    regs[src] = r
                else:
                    new = env.scalar_id_before_mov(r)
                    if new is not r:
                        r = regs[src] = new
            regs[dst] = r
            return
    check_alu_op(env, insn)


def alu_checker(code: int):
    """The checker of ALU/ALU64 opcode ``code`` (do_check_insn's dispatch table)."""
    if (code & 0xF0) in _CONST_FAST:
        return check_alu_reg if code & _X else check_alu_imm
    if (code & 0xF0) == _MOV:
        if not code & _X:
            return check_mov_imm
        if (code & 7) == _ALU64:
            return check_mov64_reg
    return check_alu_op


def _assign_scalar_id(env: Env, regno: int) -> Reg:
    """kernel: assign_scalar_id_before_mov - give a non-constant scalar an id
    so the copy is linked to it."""
    r = env.reg(regno)
    new = env.scalar_id_before_mov(r)
    if new is not r:
        env.set_reg(regno, new)
    return new


def _reg_width(s: Scalar) -> int:
    return s.umax.bit_length()


def _mov_reg(env: Env, insn, alu64: bool) -> None:
    dst, src, off = insn.dst, insn.src, insn.off
    s = env.reg(src)
    if alu64:
        if off == 0:
            s = _assign_scalar_id(env, src)
            env.set_reg(dst, s)   # registers are shared immutably
            return
        if s.type == T.SCALAR:
            no_sext = s.s.umax < (1 << (off - 1))
            if no_sext:
                s = _assign_scalar_id(env, src)
            res = S.mov(s.s, alu64=True, off=off)
            env.set_reg(dst, Reg(T.SCALAR, res, id=s.id if no_sext else 0,
                                 precise=s.precise))
        else:
            env.mark_unknown(dst)
        return
    # 32-bit move
    if s.type == T.SCALAR:
        if off == 0:
            is_u32 = _reg_width(s.s) <= 32
            if is_u32:
                s = _assign_scalar_id(env, src)
            # zext_32_to_64 + reg_bounds_sync
            res = s.s if is_u32 and s.s.var_off.mask == 0 else S.mov(s.s, alu64=False)
            env.set_reg(dst, Reg(T.SCALAR, res, id=s.id if is_u32 else 0, precise=s.precise))
        else:
            no_sext = s.s.umax < (1 << (off - 1))
            if no_sext:
                s = _assign_scalar_id(env, src)
            res = S.mov(s.s, alu64=False, off=off)
            env.set_reg(dst, Reg(T.SCALAR, res, id=s.id if no_sext else 0, precise=s.precise))
    else:
        # a 32-bit copy of a pointer: unknown, zero-extended
        env.set_reg(dst, Reg(T.SCALAR, _U32_UNKNOWN))


def adjust_reg_min_max_vals(env: Env, insn) -> None:
    code = insn.code
    opc = code & 0xF0
    alu64 = (code & 7) == op.ALU64
    dst = insn.dst
    st = env.cur
    regs = st.frames[st.curframe].regs
    d = regs[dst]
    ptr = d if d.type != T.SCALAR else None
    if code & op.X:
        s = regs[insn.src]
        if s.type != T.SCALAR:
            if d.type != T.SCALAR:
                if opc == op.SUB and env.allow_ptr_leaks:
                    env.mark_unknown(dst)
                    return
                raise VerifierError(f"R{dst} pointer {ALU_STR[opc]} pointer prohibited")
            mark_chain_precision(env, dst)
            adjust_ptr_min_max_vals(env, insn, s, d, dst_is_off=True)
            return
        if ptr is not None:
            mark_chain_precision(env, insn.src)
            adjust_ptr_min_max_vals(env, insn, d, s, dst_is_off=False)
            return
        if d.precise:
            mark_chain_precision(env, insn.src)
        src_s = s.s
    else:
        src_s = const_scalar(insn.imm & U64_MAX)
        if ptr is not None:
            adjust_ptr_min_max_vals(env, insn, d, Reg(T.SCALAR, src_s), dst_is_off=False)
            return
    _scalar_op(env, insn, d, src_s, opc, alu64)


def _scalar_op(env: Env, insn, d: Reg, src_s: Scalar, opc: int, alu64: bool) -> None:
    """adjust_reg_min_max_vals for a scalar dst ``d`` and a scalar source: the
    [-1, 0] fork, the transfer function and the linked-scalar delta."""
    code = insn.code
    dst = insn.dst
    # (maybe_fork_scalars forks AND and OR alone: no call for the other ops)
    fork = _should_fork(opc, d.s, src_s) if opc == _AND or opc == _OR else 0
    if fork:
        branch = push_stack(env, env.insn_idx, env.insn_idx)
        zero = Scalar.const(0) if fork == 64 else S.Scalar.from_bounds(
            var_off=tnum_const_subreg(d.s.var_off, 0), smin=d.s.smin, smax=d.s.smax,
            umin=d.s.umin, umax=d.s.umax, s32_min=0, s32_max=0, u32_min=0, u32_max=0)
        bregs = branch.frames[branch.curframe].regs
        bregs[dst] = bregs[dst].with_(s=zero)
        if fork == 64:
            d = d.with_(s=Scalar.const(U64_MAX))
        else:
            d = d.with_(s=S.Scalar.from_bounds(
                var_off=tnum_const_subreg(d.s.var_off, U32_MAX), smin=d.s.smin,
                smax=d.s.smax, umin=d.s.umin, umax=d.s.umax, s32_min=-1, s32_max=-1,
                u32_min=U32_MAX, u32_max=U32_MAX))
    dst_umax = d.s.umax      # before the op: a 32-bit op zero-extends its result
    res = scalar_alu(opc, d.s, src_s, alu64, off=insn.off)
    new = scalar_reg(res, d.precise)      # any other op: the link breaks
    # remember a constant delta between linked scalars (r1 = r2; r1 += 1, w1 -= 4):
    # a later branch on either bounds the other (sync_linked_regs)
    const_mask = src_s.var_off.mask if alu64 else src_s.var_off.mask & U32_MAX
    if (env.bpf_capable and opc in (op.ADD, op.SUB) and d.id and const_mask == 0
            and not (code & op.X and insn.src == dst)):
        delta = _linked_delta(opc, src_s.var_off.value, alu64, dst_umax, d.id)
        if delta is not None:
            new.id = d.id | (BPF_ADD_CONST64 if alu64 else BPF_ADD_CONST32)
            new.off = delta
    st = env.cur
    st.frames[st.curframe].regs[dst] = new      # env.set_reg


def _linked_delta(opc: int, val: int, alu64: bool, dst_umax: int, dst_id: int) -> int | None:
    """The delta recorded for ``dst op= const`` on a linked scalar, or None when
    the link must be dropped: a 64-bit constant outside s32, a 32-bit op on a
    value with upper bits set (its zero-extension is not a constant shift),
    negating S32_MIN, or a register that already carries a delta."""
    if alu64:
        v = s64(val)
        if v < -(1 << 31) or v > (1 << 31) - 1:
            return None
    elif dst_umax > U32_MAX:
        return None
    off = s32(val)
    if opc == op.SUB:
        if off == -(1 << 31):
            return None
        off = -off
    if dst_id & BPF_ADD_CONST:
        return None
    return off
