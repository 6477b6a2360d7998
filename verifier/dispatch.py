"""Instruction dispatch (kernel: ``do_check_insn``): one instruction of the walk handed
to its checker by opcode.

Every instruction naming r11 (stack-argument operands) goes to
:func:`verifier.stack_args.check_insn`; ALU, loads and stores, which always fall
through, to their checker through :data:`CHECK_NEXT`; conditional jumps to
:func:`verifier.jumps.check_cond_jmp_op`; calls (:func:`check_call`: helper,
bpf-to-bpf and kfunc calls), exits (:func:`verifier.calls.process_exit`), JA, the BPF_LD class and the
reserved call and exit encodings through :data:`CHECK_FLOW`.  The tables are built once
at import.  The walk itself (:func:`verifier.core.do_check`) reads them (and
:data:`MAY_WRITE_STACK`, :data:`IS_COND_JMP`) and calls :func:`do_check_insn` only for
the instructions naming r11.
"""

from __future__ import annotations

from isa import opcodes as op
from isa.stack_args import PARAMS as _R11
from verifier import alu, calls, jumps, mem, mem_atomic
from verifier import regtypes as T
from verifier import stack_args as SA
from verifier.env import Env, check_reg_arg_dst
from verifier.errors import EINVAL, VerifierError
from verifier.graph import GRAPH_API_KFUNCS
from verifier.helper_call import check_helper_call
from verifier.kfunc_call import kfunc_call
from verifier.state import UNKNOWN_SCALAR, ptr_reg


# opcode constants bound once at module level: do_check_insn runs for every processed
# instruction, and a module-attribute lookup per comparison is measurable there
_ALU, _ALU64, _LDX, _STX, _ST, _LD = op.ALU, op.ALU64, op.LDX, op.STX, op.ST, op.LD
_JMP, _JMP32, _ATOMIC, _X = op.JMP, op.JMP32, op.ATOMIC, op.X
_CALL, _JA, _EXIT = op.CALL, op.JA, op.EXIT
_CALL_K, _EXIT_K = op.JMP | op.CALL, op.JMP | op.EXIT     # the only valid call and exit
_PSEUDO_CALL, _PSEUDO_KFUNC_CALL = op.PSEUDO_CALL, op.PSEUDO_KFUNC_CALL
_check_ldx, _check_stx, _check_st = mem.check_ldx, mem.check_stx, mem.check_st
_check_cond_jmp_op = jumps.check_cond_jmp_op
# opcode -> may the instruction write a stack slot?  Only stores (STX, ST, atomics) and
# calls (helpers and kfuncs writing through a pointer argument) reach
# StackLiveness.mark_write; the walk skips the per-instruction write bookkeeping of the
# others, whose commit would record an empty write set that nothing reads
MAY_WRITE_STACK = tuple((c & 7) in (_STX, _ST)
                        or ((c & 7) in (_JMP, _JMP32) and (c & 0xF0) == _CALL)
                        for c in range(256))


def do_check_insn(env: Env, insn, idx: int):
    """Verify one instruction.  Returns the next insn index, or None when the
    current path ended (program exit).  Instructions that always fall through go to
    their checker by opcode (CHECK_NEXT), conditional jumps to check_cond_jmp_op, the
    rest (calls, exits, JA, the BPF_LD class, reserved encodings) by opcode
    (CHECK_FLOW); both tables are built once (_checkers).  do_check reads the tables
    itself for every instruction without r11."""
    # stack arguments: r11 memory operands, and any other use of r11 (rejected there)
    if insn.dst == _R11 or insn.src == _R11:     # touches_r11, inlined
        SA.check_insn(env, insn)
        return idx + 1
    code = insn.code
    check = CHECK_NEXT[code]
    if check is not None:
        check(env, insn)
        return idx + 1
    flow = CHECK_FLOW[code]
    if flow is None:                    # conditional jumps (and may_goto)
        env.jmps_processed += 1
        return _check_cond_jmp_op(env, insn, idx)
    return flow(env, insn, idx)


def check_call(env: Env, insn, idx: int):
    """BPF_JMP | BPF_CALL: a helper, BPF-to-BPF or kfunc call."""
    env.jmps_processed += 1
    src = insn.src
    st = env.cur
    if not src:                             # a helper
        if insn.off or insn.dst:
            raise VerifierError("BPF_CALL uses reserved fields", EINVAL)
        # under a lock only bpf_spin_unlock (94) and bpf_kptr_xchg (194) may be called
        if st.active_locks and insn.imm not in (94, 194):
            raise VerifierError("function calls are not allowed while holding a lock",
                                EINVAL)
        check_helper_call(env, insn, idx)
        SA.after_call(st)
        nxt = idx + 1
        if insn.imm == 12 and st.curframe:
            nxt = calls.tail_call_exit(env, idx)
        env.scratched_regs |= 1             # scratch_reg(0)
        return nxt
    if ((src != _PSEUDO_KFUNC_CALL and insn.off != 0)
            or src not in (_PSEUDO_CALL, _PSEUDO_KFUNC_CALL) or insn.dst != 0):
        raise VerifierError("BPF_CALL uses reserved fields", EINVAL)
    # under a lock only the graph kfuncs (is_bpf_graph_api_kfunc) may be called
    if st.active_locks and src == _PSEUDO_KFUNC_CALL and getattr(
            env.kfunc_descs.get(idx), "name", None) not in GRAPH_API_KFUNCS:
        raise VerifierError("function calls are not allowed while holding a lock", EINVAL)
    if src == _PSEUDO_CALL:
        nxt = calls.check_func_call(env, insn, idx)
    else:
        nxt = kfunc_call(env, insn, idx)
    env.scratched_regs |= 1                 # scratch_reg(0)
    return nxt


def _call_reserved(env: Env, insn, idx: int):
    """BPF_CALL with BPF_X or in the JMP32 class."""
    env.jmps_processed += 1
    raise VerifierError("BPF_CALL uses reserved fields", EINVAL)


def _check_ja(env: Env, insn, idx: int):
    """BPF_JMP | BPF_JA (off) and BPF_JMP32 | BPF_JA (gotol: imm)."""
    env.jmps_processed += 1
    if insn.src != 0 or insn.dst != 0:
        raise VerifierError("BPF_JA uses reserved fields", EINVAL)
    if insn.code & 7 == _JMP:
        if insn.imm != 0:
            raise VerifierError("BPF_JA uses reserved fields", EINVAL)
        return idx + insn.off + 1
    if insn.off != 0:
        raise VerifierError("BPF_JA uses reserved fields", EINVAL)
    return idx + insn.imm + 1


def _ja_reserved(env: Env, insn, idx: int):
    """BPF_JA with BPF_X."""
    env.jmps_processed += 1
    raise VerifierError("BPF_JA uses reserved fields", EINVAL)


def _exit_reserved(env: Env, insn, idx: int):
    """BPF_EXIT with BPF_X or in the JMP32 class."""
    env.jmps_processed += 1
    raise VerifierError("BPF_EXIT uses reserved fields", EINVAL)


def _check_ld_abs(env: Env, insn, idx: int):
    mem.check_ld_abs(env, insn)
    if env.cur.curframe:
        return calls.ld_abs_exit(env, idx)
    return idx + 1


def _ld_bad_mode(env: Env, insn, idx: int):
    raise VerifierError("invalid BPF_LD mode", EINVAL)


def _checkers():
    """The two dispatch tables of do_check_insn, indexed by opcode: the checker
    ``(env, insn)`` of an instruction that falls through (else None), and the checker
    ``(env, insn, idx) -> next index`` (None at the end of the path) of calls, exits, JA,
    the BPF_LD class and the reserved call and exit encodings (None: a conditional
    jump)."""
    nxt = [None] * 256
    flow = [None] * 256
    for code in range(256):
        cls, o, mode = code & 7, code & 0xF0, code & 0xE0
        if cls in (_ALU, _ALU64):
            nxt[code] = alu.alu_checker(code)
        elif cls == _LDX:
            nxt[code] = _check_ldx
        elif cls == _STX:
            nxt[code] = mem_atomic.check_atomic if mode == _ATOMIC else _check_stx
        elif cls == _ST:
            nxt[code] = _check_st
        elif cls == _LD:
            flow[code] = (_check_ld_abs if mode in (op.ABS, op.IND)
                          else _check_ld_imm if mode == op.IMM else _ld_bad_mode)
        elif o == _CALL:
            flow[code] = check_call if code == _CALL_K else _call_reserved
        elif o == _JA:
            flow[code] = _ja_reserved if code & _X else _check_ja
        elif o == _EXIT:
            flow[code] = calls.process_exit if code == _EXIT_K else _exit_reserved
    return tuple(nxt), tuple(flow)


def _check_ld_imm(env: Env, insn, idx: int) -> int:
    """BPF_LD | BPF_IMM: the two-slot 64-bit load; returns the index after it."""
    if (insn.code & 0x18) != op.DW:
        raise VerifierError("invalid BPF_LD_IMM insn", EINVAL)
    if insn.off != 0:
        raise VerifierError("BPF_LD_IMM64 uses reserved fields", EINVAL)
    dst = insn.dst
    if dst >= 10:
        check_reg_arg_dst(env, dst)         # raises
    env.scratched_regs |= 1 << dst          # check_reg_arg_dst, inline
    st = env.cur
    regs = st.frames[st.curframe].regs
    regs[dst] = UNKNOWN_SCALAR
    src = insn.src
    second = env.insns[idx + 1]
    aux = env.aux[idx]
    if src == 0:
        v = (insn.imm & 0xFFFFFFFF) | ((second.imm & 0xFFFFFFFF) << 32)
        regs[dst] = alu.const_reg(v)
        return idx + 2
    if src == op.PSEUDO_FUNC:
        target = idx + insn.imm + 1
        sub = env.subprog_of(target)
        if not env.inp.func_info:
            raise VerifierError("missing btf func_info", EINVAL)
        if env.subprogs[sub].linkage != "static":
            raise VerifierError("callback function not static", EINVAL)
        regs[dst] = ptr_reg(T.PTR_TO_FUNC, subprogno=sub)
        return idx + 2
    m = env.inp.map_at(aux.map_index)
    if src in (op.PSEUDO_MAP_VALUE, op.PSEUDO_MAP_IDX_VALUE):
        regs[dst] = ptr_reg(T.PTR_TO_MAP_VALUE, map=m, off=aux.map_off)
    elif src in (op.PSEUDO_MAP_FD, op.PSEUDO_MAP_IDX):
        regs[dst] = ptr_reg(T.CONST_PTR_TO_MAP, map=m)
    else:
        raise VerifierError("bpf verifier is misconfigured", 14)
    return idx + 2


CHECK_NEXT, CHECK_FLOW = _checkers()
# opcode -> a conditional jump (or may_goto): JMP/JMP32 other than JA, CALL and EXIT
IS_COND_JMP = tuple((c & 7) in (_JMP, _JMP32) and (c & 0xF0) not in (_JA, _CALL, _EXIT)
                    for c in range(256))
CHECK_NEXT_NO_WRITE = tuple(None if w else c for c, w in zip(CHECK_NEXT, MAY_WRITE_STACK))
