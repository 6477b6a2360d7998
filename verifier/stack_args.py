"""The stack-argument ABI in the verifier: r11 (``BPF_REG_PARAMS``) slots.

Arguments 6..12 of BPF-to-BPF calls and kfunc calls travel in *stack
argument slots*: the caller stores ``*(u64 *)(r11 - 8k) = rX`` (or an
immediate), the callee loads ``rX = *(u64 *)(r11 + 8k)``.  The model
follows the kernel's (shared/reference/stack_arg_abi.md §2):

* each frame owns its *outgoing* slots, kept as full register states in
  ``Frame.stack_arg_regs`` (index k-1, ``NOT_INIT`` = not written); the
  list length is the frame's ``out_stack_arg_cnt``;
* a callee's *incoming* slot count comes from its BTF prototype
  (``Subprog.stack_arg_cnt``); an incoming load reads the caller frame's
  outgoing slot as it is at that moment (type, ranges, ids), so null checks,
  releases and packet invalidation done meanwhile are seen (they reach the
  slots through :func:`verifier.refs.for_each_reg`);
* only three instruction shapes may name r11; anything else is
  ``R11 is invalid``;
* all incoming loads of a frame come before its first r11 store or call
  (``no_stack_arg_load``; pruning keeps it, see :mod:`verifier.prune`);
* at a call the callee's slots must be written; after every call the
  caller's slots are dead: a helper or kfunc call drops every outgoing slot
  of every frame (an incoming argument cannot be read after a call anyway,
  and the JIT's r9 is clobbered), a return from a BPF-to-BPF call marks the
  caller's slots ``NOT_INIT``.  For a callee whose BTF the kernel cannot
  use ("unreliable", e.g. a static function with a ``long *`` parameter)
  only the slot *count* is checked at the call and a ``NOT_INIT`` slot is
  copied as such by the load - the kernel selftest
  ``stack_arg_read_without_write_2`` (``R0 !read_ok``) pins this down;
* after verification: a function may not write more slots than its calls
  need (``func#0 writes 5 stack arg slots, but calls only require 2``), and
  stack arguments and a reachable tail call do not mix.

Precision (:mod:`verifier.precision`) follows values through the slots:
backtracking from a use crosses a callee's ``r11 + 8k`` load into the
caller's outgoing slot k and on to the store that wrote it; a kfunc size or
constant passed in a slot starts from the slot
(:func:`verifier.precision.mark_stack_arg_precision`).  Pruning compares
precise slot scalars by value, imprecise ones not at all.

The driver (:mod:`verifier.core`) sends every instruction naming r11 to
:func:`check_insn` and runs :func:`after_check` last; :mod:`verifier.calls`
calls :func:`on_call` / :func:`on_return`; kfunc calls
(:mod:`verifier.kfunc_call`) call :func:`check_outgoing` and
:func:`after_kfunc`.  The ABI's numbers and shapes are :mod:`isa.stack_args`'s.
"""

from __future__ import annotations

from btf.funcs import ArgKind
from isa import opcodes as op
from isa.stack_args import MAX_SLOTS, PARAMS, SLOT_SIZE, slot_name
from verifier import regtypes as T
from verifier.call_args import check_mem_reg_at
from verifier.env import Env, check_reg_arg_dst, check_reg_arg_src
from verifier.errors import EACCES, EINVAL, VerifierError
from verifier.scalar import Scalar
from verifier.trusted_args import callee_reg, check_caller_reg
from verifier.state import NOT_INIT_REG, UNKNOWN_SCALAR, Reg, State

R11_INVALID = "R11 is invalid"
BAD_ORDER = "r11 load must be before any r11 store or call insn"


# --- per-program bookkeeping (on env) ---------------------------------------------------

def note_need(env: Env, subprog: int, slots: int) -> None:
    """A call from ``subprog`` needs ``slots`` outgoing slots."""
    need = env.stack_arg_need
    if slots > need.get(subprog, 0):
        need[subprog] = slots


# --- which callees the kernel can describe -----------------------------------------------

def kernel_reliable(env: Env, subprog: int) -> bool:
    """Does ``btf_prepare_func_args`` succeed for this subprogram?

    btf.funcs already records the problems every function has; the kernel
    is stricter for *static* functions: a pointer parameter must be the
    program's context or a ``struct bpf_dynptr *`` (generic memory pointers
    are only understood for global functions)."""
    sp = env.subprogs[subprog]
    info = sp.info
    if info is None or not info.reliable:
        return False
    if sp.linkage == "global":
        return True
    ctx = env.ctx.struct if env.ctx is not None else None
    btf = env.inp.btf
    for a in info.args:
        if a.kind in (ArgKind.SCALAR, ArgKind.DYNPTR):
            continue
        if a.kind == ArgKind.CTX and ctx is not None:
            try:
                name = btf.type(a.pointee_id).name if a.pointee_id else ""
            except Exception:  # noqa: BLE001 - a broken id is just not the context
                name = ""
            if name == ctx or "ctx" in a.tags:
                continue
        return False
    return True


# --- slot state helpers -----------------------------------------------------------------

def _slot_value(r: Reg) -> Reg:
    """The register state as kept in a slot: scalars unlinked (branches on a
    register do not refine a slot copy, so the copy must not claim to be
    the same value) and not precise until backtracking says so."""
    if r.type == T.SCALAR and (r.precise or r.id):
        return r.with_(precise=False, id=0)
    return r


def after_call(st: State) -> None:
    """After a helper or kfunc call: the current frame has made a call (no r11 load may
    follow) and every frame's outgoing slots are gone.  (dispatch.check_call calls this
    directly after a helper.)"""
    frames = st.frames
    frames[st.curframe].no_stack_arg_load = True
    for f in frames:        # (a state holds its frames up to the current one: all of them)
        if f.stack_arg_regs:
            f.stack_arg_regs = []


def invalidate_frame(f) -> None:
    """After returning from a BPF-to-BPF call: the caller's slots are dead
    (the count of slots written stays, see the module docstring)."""
    sa = f.stack_arg_regs
    if sa and any(r.type != T.NOT_INIT for r in sa):
        f.stack_arg_regs = [NOT_INIT_REG] * len(sa)


def in_stack_arg_cnt(env: Env, st: State, frameno: int) -> int:
    """Incoming slots of the function running in frame ``frameno``."""
    f = st.frames[frameno]
    if f.in_callback_fn or f.in_async_callback_fn:
        return 0
    sp = env.subprogs[f.subprogno]
    if frameno == 0:
        # the main program has none; a global function verified on its own
        # gets its arguments from its prototype
        return sp.stack_arg_cnt if (f.subprogno and sp.linkage == "global") else 0
    return sp.stack_arg_cnt


def check_outgoing(env: Env, frame, need: int, nargs: int, per_slot: bool) -> None:
    """At a call: the callee's ``need`` incoming slots are written (kernel:
    ``callee expects N args, stack argK is not initialized``)."""
    sa = frame.stack_arg_regs
    for k in range(1, need + 1):
        if k > len(sa) or (per_slot and sa[k - 1].type == T.NOT_INIT):
            raise VerifierError(f"callee expects {nargs} args, stack arg{k} is not initialized",
                                EINVAL)


# --- global functions verified on their own ------------------------------------------------

def _global_incoming(env: Env, subprog: int) -> list[Reg]:
    cache = env.stack_arg_global_in
    regs = cache.get(subprog)
    if regs is not None:
        return regs
    sp = env.subprogs[subprog]
    regs = [UNKNOWN_SCALAR] * sp.stack_arg_cnt
    info = sp.info
    if info is not None:
        for arg in info.args:
            for s in arg.slots:
                k = s.stack_slot
                if not k or k > len(regs):
                    continue
                r = UNKNOWN_SCALAR
                if len(arg.slots) == 1:
                    if arg.kind == ArgKind.CTX:
                        r = Reg(T.PTR_TO_CTX, Scalar.const(0))
                    elif arg.kind in (ArgKind.MEM, ArgKind.STRUCT_PTR) and not arg.trusted:
                        t = T.PTR_TO_MEM | (T.PTR_MAYBE_NULL if arg.nullable else 0)
                        r = Reg(t, Scalar.const(0), mem_size=arg.mem_size, id=env.new_id())
                    elif arg.kind == ArgKind.STRUCT_PTR and arg.trusted:
                        r = callee_reg(env, arg, env.new_id)
                    elif arg.kind == ArgKind.STRUCT_PTR:
                        t = T.PTR_TO_BTF_ID | (T.PTR_TRUSTED if arg.trusted else T.PTR_UNTRUSTED)
                        if arg.nullable:
                            t |= T.PTR_MAYBE_NULL
                        r = Reg(t, Scalar.const(0), id=env.new_id() if arg.nullable else 0)
                regs[k - 1] = _slot_value(r)
    cache[subprog] = regs
    return regs


def _check_global_stack_args(env: Env, frame, subprog: int) -> None:
    """The arguments a global function takes in stack slots match its
    prototype (the stack half of btf_check_func_arg_match)."""
    sp = env.subprogs[subprog]
    info = sp.info
    if info is None:
        return
    for arg in info.args:
        if len(arg.slots) != 1 or not arg.slots[0].is_stack:
            continue
        k = arg.slots[0].stack_slot
        reg = frame.stack_arg_regs[k - 1]
        name = slot_name(k)
        line = None
        if arg.kind == ArgKind.SCALAR:
            if reg.type != T.SCALAR:
                line = f"{name} is not a scalar"
        elif arg.kind == ArgKind.CTX:
            if reg.type != T.PTR_TO_CTX:
                line = f"arg#{arg.index} expects pointer to ctx"
        elif arg.kind in (ArgKind.MEM, ArgKind.STRUCT_PTR) and not arg.trusted:
            try:
                with_null_ok = arg.nullable
                if not with_null_ok and reg.type & T.PTR_MAYBE_NULL:
                    line = f"arg#{arg.index} is expected to be non-NULL"
                else:
                    check_mem_reg_at(env, ("slot", k), arg.mem_size)
            except VerifierError as e:
                line = e.message
        elif arg.kind == ArgKind.STRUCT_PTR and arg.trusted:
            try:
                line = check_caller_reg(env, reg, name, arg)
            except VerifierError as e:
                line = e.message
        if line is not None:
            raise VerifierError(f"Caller passes invalid args into func#{subprog} ('{sp.name}')",
                                EINVAL, (line,))


# --- the r11 instructions -------------------------------------------------------------------

def check_insn(env: Env, insn) -> None:
    """Every instruction naming r11 (the driver sends them all here).

    The three shapes are :mod:`isa.stack_args`'s, decoded here with the
    verifier's own order of checks: a near miss in the other operand
    (``r12``..``r15``) or in a reserved field gets the message the operand
    or field check gives, not ``R11 is invalid``."""
    code = insn.code
    cls = code & 7
    mode = code & 0xE0
    dw = (code & 0x18) == op.DW
    off = insn.off
    if (cls == op.STX and mode == op.MEM and dw and insn.dst == PARAMS and insn.src != PARAMS
            and off < 0 and off % SLOT_SIZE == 0):
        if insn.imm != 0:
            raise VerifierError("BPF_STX uses reserved fields", EINVAL)
        _write(env, insn, insn.src)
    elif (cls == op.ST and mode == op.MEM and dw and insn.dst == PARAMS and off < 0
          and off % SLOT_SIZE == 0):
        if insn.src != 0:
            raise VerifierError("BPF_ST uses reserved fields", EINVAL)
        _write(env, insn, -1)
    elif (cls == op.LDX and mode == op.MEM and dw and insn.src == PARAMS and insn.dst != PARAMS
          and off > 0 and off % SLOT_SIZE == 0):
        if insn.imm != 0:
            raise VerifierError("BPF_LDX uses reserved fields", EINVAL)
        _read(env, insn)
    else:
        raise VerifierError(R11_INVALID, EINVAL)


def _write(env: Env, insn, src: int) -> None:
    k = -insn.off // SLOT_SIZE
    if k > MAX_SLOTS:
        raise VerifierError(f"stack arg write offset {insn.off} exceeds max {MAX_SLOTS} "
                            f"stack args", EINVAL)
    if src >= 0:
        reg = check_reg_arg_src(env, src)
    else:
        reg = Reg(T.SCALAR, Scalar.from_imm(insn.imm))
    f = env.frame
    f.no_stack_arg_load = True
    sa = f.stack_arg_regs
    if len(sa) < k:
        sa.extend([NOT_INIT_REG] * (k - len(sa)))
    sa[k - 1] = _slot_value(reg)
    w = env.stack_arg_written
    if k > w.get(f.subprogno, 0):
        w[f.subprogno] = k


def _read(env: Env, insn) -> None:
    k = insn.off // SLOT_SIZE
    check_reg_arg_dst(env, insn.dst, mark=False)
    st = env.cur
    fr = st.curframe
    n = in_stack_arg_cnt(env, st, fr)
    if k > n:
        raise VerifierError(f"invalid read from stack arg off {insn.off} depth {SLOT_SIZE * n}",
                            EACCES)
    f = st.frames[fr]
    if f.no_stack_arg_load:
        raise VerifierError(BAD_ORDER, EINVAL)
    if fr == 0:
        val = _global_incoming(env, f.subprogno)[k - 1]
    else:
        sa = st.frames[fr - 1].stack_arg_regs
        val = sa[k - 1] if k <= len(sa) else NOT_INIT_REG
    env.set_reg(insn.dst, val)


# --- calls ------------------------------------------------------------------------------------

def on_call(env: Env, insn, callee) -> None:
    """After a helper or BPF-to-BPF call's own checks (kfuncs call
    :func:`after_kfunc` instead)."""
    st = env.cur
    if insn.src == op.PSEUDO_CALL and callee is not None:
        sp = env.subprogs[callee]
        entered = sp.linkage != "global"
        caller = st.frames[st.curframe - 1] if entered else st.cur
        need = sp.stack_arg_cnt
        if need:
            per_slot = kernel_reliable(env, callee)
            check_outgoing(env, caller, need, sp.arg_cnt, per_slot)
            if not entered:
                _check_global_stack_args(env, caller, callee)
        note_need(env, caller.subprogno, need)
        caller.no_stack_arg_load = True
        if not entered:
            invalidate_frame(caller)
        return
    after_call(st)


def on_return(env: Env, caller) -> None:
    """Back in the caller after a BPF-to-BPF call."""
    invalidate_frame(caller)


def after_kfunc(env: Env, need: int) -> None:
    st = env.cur
    note_need(env, st.cur.subprogno, need)
    after_call(st)


# --- before and after verification --------------------------------------------------------

def after_check(env: Env) -> None:
    """kernel: the stack-argument part of bpf_fixup_call_args (after the
    stack-depth check), plus the tail-call and JIT rules."""
    written, need = env.stack_arg_written, env.stack_arg_need
    if written or need:         # else every out_stack_arg_cnt stays 0
        for k, sp in enumerate(env.subprogs):
            w = written.get(k, 0)
            n = need.get(k, 0)
            if w > n:
                raise VerifierError(f"func#{k} writes {w} stack arg slots, but calls only "
                                    f"require {n}", EINVAL)
            sp.out_stack_arg_cnt = n
    else:
        for sp in env.subprogs:
            if sp.stack_arg_cnt:
                break
        else:
            return              # no subprogram uses stack arguments: no rule applies
    uses = [k for k, sp in enumerate(env.subprogs)
            if sp.stack_arg_cnt or written.get(k) or need.get(k)]
    if not uses:
        return
    for k in uses:
        sp = env.subprogs[k]
        if sp.tail_call_reachable or sp.has_tail_call:
            # undocumented text (stack_arg_abi.md open question 1): our wording
            raise VerifierError(f"tail_calls are not allowed in programs with stack arguments "
                                f"(func#{k})", EINVAL)
    if not env.inp.jit_requested and any(env.subprogs[k].stack_arg_cnt for k in uses):
        raise VerifierError("stack args are not supported in non-JITed programs", EINVAL)


__all__ = ["check_insn", "on_call", "on_return", "after_kfunc", "after_check", "check_outgoing",
           "kernel_reliable", "after_call"]
