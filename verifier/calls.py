"""BPF-to-BPF calls, callbacks and function exit.

* Static subprograms are verified *in the caller's context*: a new frame
  gets copies of R1-R5, the callee runs, and its exit copies R0 back and
  resumes after the call (kernel: check_func_call / setup_func_entry /
  prepare_func_exit).
* Global subprograms are verified once, on their own, against their BTF
  prototype (:func:`global_arg_regs`); a call site only checks the
  arguments match (``Caller passes invalid args into func#1 ('f')``) and
  gets an unknown scalar R0.
* Callback-taking helpers (bpf_loop, bpf_for_each_map_elem) queue the
  callback as a branch that returns to the calling instruction, which is
  re-verified until the states converge; timer callbacks are async and
  start from a fresh state.

Every call passes through :func:`verifier.stack_args.on_call` (kfunc calls
through :func:`verifier.stack_args.after_kfunc`) so the stack-argument rules
(check the callee's incoming slots, invalidate the caller's outgoing slots
after any call) have one place to live.
"""

from __future__ import annotations

from btf.funcs import ArgKind
from verifier import regtypes as T
from verifier import stack_args as SA
from verifier.call_args import check_helper_mem_access
from verifier.env import BPF_COMPLEXITY_LIMIT_JMP_SEQ, Env
from verifier.errors import E2BIG, EACCES, EEXIST, EFAULT, EINVAL, ENOENT, VerifierError
from verifier.kfunc_args import process_dynptr
from verifier.log import format_frame
from verifier.precision import mark_chain_precision
from verifier.prune import find_prev_entry, widen_imprecise_scalars
from verifier.trusted_args import callee_reg, check_caller_reg
from verifier.refs import check_resource_leak, clear_all_pkt_pointers
from verifier.scalar import Scalar
from verifier.state import (MAX_BPF_REG, MAX_CALL_FRAMES, NOT_INIT_REG, UNKNOWN_SCALAR, Frame,
                            Reg, State, fp_reg)
from verifier.worklist import BranchElem, push_stack

BPF_MAIN_FUNC = -1
_R0_R5_NOT_INIT = (NOT_INIT_REG,) * 6


def init_frame(frameno: int, callsite: int, subprogno: int) -> Frame:
    return Frame(frameno, callsite, subprogno)


def _scratch_all(env: Env) -> None:
    """The kernel's init_func_state marks every register and stack slot scratched
    (log only): the next level-2 state line shows the whole frame."""
    env.scratched_regs = (1 << MAX_BPF_REG) - 1
    env.scratched_stack = -1


def _check_subprog_args(env: Env, subprog: int, regs) -> tuple[bool, list[str]]:
    """kernel: btf_check_subprog_call / btf_check_func_arg_match.  Returns
    (ok, log lines); a static subprog that fails is just 'unreliable'."""
    sp = env.subprogs[subprog]
    info = sp.info
    if info is None:
        return False, [sp.btf_problem] if sp.btf_problem else []
    if sp.linkage != "global" and not info.reliable:
        return False, []
    for i, arg in enumerate(info.args[:5]):
        regno = i + 1
        reg = regs[regno]
        kind = arg.kind
        if kind == ArgKind.SCALAR:
            if reg.type != T.SCALAR:
                return False, [f"R{regno} is not a scalar"]
        elif kind == ArgKind.CTX:
            if reg.type != T.PTR_TO_CTX:
                return False, [f"arg#{i} expects pointer to ctx"]
            if reg.off or reg.s.var_off.mask or reg.s.var_off.value:
                return False, [f"dereference of modified ctx ptr R{regno} off={reg.off} "
                               f"disallowed"]
        elif kind in (ArgKind.MEM, ArgKind.STRUCT_PTR) and not arg.trusted:
            ok, lines = _check_mem_reg(env, regno, arg.mem_size)
            if not ok:
                return False, lines
            if not arg.nullable and reg.type & T.PTR_MAYBE_NULL:
                return False, [f"arg#{i} is expected to be non-NULL"]
        elif kind == ArgKind.DYNPTR:
            # kernel: process_dynptr_func on a const struct bpf_dynptr * (MEM_RDONLY): an
            # initialized dynptr on the stack or a dynptr the caller was given; not NULL
            try:
                process_dynptr(env, ("reg", regno), i, False, None, None)
            except VerifierError as e:
                return False, [*e.lines, e.message]
        elif kind == ArgKind.STRUCT_PTR and arg.trusted:
            try:
                line = check_caller_reg(env, reg, f"R{regno}", arg)
            except VerifierError as e:
                line = e.message
            if line is not None:
                return False, [line]
        elif kind in (ArgKind.STRUCT_PTR, ArgKind.ARENA):
            pass
        else:
            return False, []
    return True, []


def _check_mem_reg(env: Env, regno: int, mem_size: int) -> tuple[bool, list[str]]:
    """kernel: check_mem_reg - the pointer can be read and written for
    mem_size bytes (a NULL scalar passes for nullable args)."""
    reg = env.reg(regno)
    if reg.type == T.SCALAR and reg.s.var_off.mask == 0 and reg.s.var_off.value == 0:
        return True, []
    st = env.cur
    saved = [(f.regs.copy(), f.stack.copy()) for f in st.frames]
    saved_refs = st.refs.copy()
    try:
        if reg.type & T.PTR_MAYBE_NULL:
            env.set_reg(regno, reg.with_(type=reg.type & ~T.PTR_MAYBE_NULL))
        check_helper_mem_access(env, regno, mem_size, False, True, None)
        check_helper_mem_access(env, regno, mem_size, True, True, None)
        return True, []
    except VerifierError as e:
        return False, [*e.lines, e.message]
    finally:
        # the probe accesses must leave no trace in the caller's state
        for f, (regs, stack) in zip(st.frames, saved):
            f.regs[:] = regs
            f.stack[:] = stack
        st.refs[:] = saved_refs


_EXC_CB_TAGS = "verifier.calls.find_exception_callback_insn_off"     # its Btf.memo keys' tag


def find_exception_callback_insn_off(env: Env) -> int:
    """kernel: bpf_find_exception_callback_insn_off - the main function's BTF may name an
    exception callback (decl tag ``exception_callback:NAME``): a global function of the
    program (in its func_info).  Returns its first insn, or 0 when there is none."""
    fi, btf = env.inp.func_info, env.inp.btf
    if not fi or btf is None:
        return 0
    tid = fi[0][1]
    types = btf.types
    if not 0 <= tid < len(types):       # (btf.type's BtfError)
        raise VerifierError("invalid btf id for main subprog in func_info", EINVAL)
    main = types[tid]
    # the main FUNC's exception_callback: tags depend on the BTF alone: looked up once
    # per FUNC (the Btf's memo; the FUNC object kept to notice a types list changed)
    key = (_EXC_CB_TAGS, main.id)
    hit = btf.memo.get(key)
    if hit is None or hit[0] is not main:
        hit = btf.memo[key] = (main, tuple(d.value for d in btf.decl_tags(main.id, -1)
                                           if d.value.startswith("exception_callback:")))
    tags = hit[1]
    if not tags:
        return 0
    if len(tags) > 1:
        raise VerifierError("multiple exception callback tags for main subprog", EEXIST)
    name = tags[0][len("exception_callback:"):]
    funcs = [t for t in btf.find(name) if t.kind_name == "FUNC"]
    if not funcs:
        raise VerifierError(f"exception callback '{name}' could not be found in BTF", ENOENT)
    if funcs[0].vlen != 1:
        raise VerifierError(f"exception callback '{name}' must have global linkage", EINVAL)
    off = 0
    for insn_off, type_id in fi:
        if type_id == funcs[0].id:
            off = insn_off
            if not off:
                raise VerifierError("invalid exception callback insn_off in func_info: 0",
                                    EINVAL)
    if not off:
        raise VerifierError("exception callback type id not found in func_info", EINVAL)
    return off


def check_func_call(env: Env, insn, insn_idx: int) -> int:
    """Returns the next instruction index."""
    target = insn_idx + insn.imm + 1
    subprog = env.subprog_of(target)
    if env.subprogs[subprog].start != target:
        raise VerifierError(f"verifier bug: target of func call at insn {target} is not a "
                            f"program", EFAULT)
    st = env.cur
    caller = st.cur
    sp = env.subprogs[subprog]
    if sp.linkage == "global":
        ok, lines = _check_subprog_args(env, subprog, caller.regs)
    else:
        # a static callee's argument check only decides BTF reliability: its probe
        # reads must not reach the stack liveness of the caller
        live, env.liveness = env.liveness, None
        try:
            ok, lines = _check_subprog_args(env, subprog, caller.regs)
        finally:
            env.liveness = live
    if sp.linkage == "global":
        name = sp.name
        if st.active_locks:
            raise VerifierError("global function calls are not allowed while holding a lock,\n"
                                "use static function instead", EINVAL)
        if not ok:
            raise VerifierError(f"Caller passes invalid args into func#{subprog} ('{name}')",
                                EINVAL, tuple(lines))
        if env.log.level2:
            env.log.line(f"Func#{subprog} ('{name}') is global and assumed valid.")
        if sp.changes_pkt_data:
            clear_all_pkt_pointers(env)
        sp.called = True
        caller.regs[0:6] = _R0_R5_NOT_INIT     # the caller's r0-r5 are clobbered
        env.scratched_regs |= 0x3F
        caller.regs[0] = UNKNOWN_SCALAR
        SA.on_call(env, insn, subprog)
        return insn_idx + 1
    if not ok and sp.info is not None:
        sp.info = sp.info   # unreliable for this call; the kernel just verifies in context
    _setup_func_entry(env, subprog, insn_idx, _set_callee_state, st)
    caller.regs[0:6] = _R0_R5_NOT_INIT
    env.scratched_regs |= 0x3F
    SA.on_call(env, insn, subprog)
    if env.liveness is not None:
        env.liveness.reset_cur()
    if env.log.level2:
        env.log.line("caller:")
        env.log.line(format_frame(st, caller.frameno))
        env.log.line("callee:")
        env.log.line(format_frame(st, st.curframe))
    return sp.start


def _set_callee_state(env: Env, caller: Frame, callee: Frame, callsite: int, extra=None) -> None:
    callee.regs[1:6] = caller.regs[1:6]


def _setup_func_entry(env: Env, subprog: int, callsite: int, set_cb, st: State,
                      extra=None) -> None:
    if st.curframe + 1 >= MAX_CALL_FRAMES:
        raise VerifierError(f"the call stack of {st.curframe + 2} frames is too deep", E2BIG)
    caller = st.frames[st.curframe]
    callee = init_frame(st.curframe + 1, callsite, subprog)
    _scratch_all(env)
    set_cb(env, caller, callee, callsite, extra)
    del st.frames[st.curframe + 1:]
    st.frames.append(callee)
    st.curframe += 1


def _set_loop_cb(env, caller: Frame, callee: Frame, callsite: int, extra=None) -> None:
    callee.regs[1] = UNKNOWN_SCALAR
    callee.regs[2] = caller.regs[3]
    for r in (3, 4, 5):
        callee.regs[r] = NOT_INIT_REG
    callee.in_callback_fn = True
    callee.callback_ret_range = (0, 1)


def _set_map_elem_cb(env, caller: Frame, callee: Frame, callsite: int, m=None) -> None:
    if m is None or m.map_type not in ("array", "percpu_array", "hash", "percpu_hash",
                                       "lru_hash", "lru_percpu_hash"):
        raise VerifierError("callback function not allowed for map", 524)
    callee.regs[1] = caller.regs[1]
    callee.regs[2] = Reg(T.PTR_TO_MAP_KEY, Scalar.const(0), map=m)
    callee.regs[3] = Reg(T.PTR_TO_MAP_VALUE, Scalar.const(0), map=m)
    callee.regs[4] = caller.regs[3]
    callee.regs[5] = NOT_INIT_REG
    callee.in_callback_fn = True
    callee.callback_ret_range = (0, 1)


def _set_timer_cb(env, caller: Frame, callee: Frame, callsite: int, extra=None) -> None:
    m = caller.regs[1].map
    callee.regs[1] = Reg(T.CONST_PTR_TO_MAP, Scalar.const(0), map=m)
    callee.regs[2] = Reg(T.PTR_TO_MAP_KEY, Scalar.const(0), map=m)
    callee.regs[3] = Reg(T.PTR_TO_MAP_VALUE, Scalar.const(0), map=m)
    callee.regs[4] = NOT_INIT_REG
    callee.regs[5] = NOT_INIT_REG
    callee.in_async_callback_fn = True
    callee.callback_ret_range = (0, 0)


def push_callback_call(env: Env, insn, insn_idx: int, subprog: int, kind: str, m=None) -> None:
    st = env.cur
    caller = st.cur
    sp = env.subprogs[subprog]
    _check_subprog_args(env, subprog, caller.regs)
    sp.is_cb = True
    if kind == "timer":
        sp.is_async_cb = True
        cb = push_async_cb(env, sp.start, insn_idx, subprog)
        callee = cb.frames[0]
        callee.async_entry_cnt = caller.async_entry_cnt + 1
        _set_timer_cb(env, caller, callee, insn_idx)
        return
    cb_state = push_stack(env, sp.start, insn_idx)
    # kind: "loop", "for_each" or a kfunc's own state setter (verifier.graph)
    set_cb = kind if callable(kind) else _set_loop_cb if kind == "loop" else _set_map_elem_cb
    _setup_func_entry(env, subprog, insn_idx, set_cb, cb_state, m)
    cb_state.callback_unroll_depth += 1
    cb_state.frames[cb_state.curframe - 1].callback_depth += 1
    caller.callback_depth = 0


def push_async_cb(env: Env, insn_idx: int, prev_insn_idx: int, subprog: int) -> State:
    st = State()
    st.frames = [init_frame(0, BPF_MAIN_FUNC, subprog)]
    _scratch_all(env)
    st.branches = 1
    st.insn_idx = insn_idx
    st.first_insn_idx = insn_idx
    env.stack.append(BranchElem(st, insn_idx, prev_insn_idx, env.log.pos))
    if len(env.stack) > BPF_COMPLEXITY_LIMIT_JMP_SEQ:
        raise VerifierError(f"The sequence of {len(env.stack)} jumps is too complex for async cb.",
                            E2BIG)
    return st


def retval_range_within(rng: tuple[int, int], s: Scalar, return_32bit: bool = False) -> bool:
    if return_32bit:
        return rng[0] <= s.s32_min and s.s32_max <= rng[1]
    return rng[0] <= s.smin and s.smax <= rng[1]


def invalid_scalar_msg(s: Scalar, rng: tuple[int, int], ctx: str, reg_name: str) -> str:
    """kernel: verbose_invalid_scalar."""
    parts = [f"{ctx} the register {reg_name} has"]
    unknown = True
    if s.smin > -(1 << 63):
        parts.append(f" smin={s.smin}")
        unknown = False
    if s.smax < (1 << 63) - 1:
        parts.append(f" smax={s.smax}")
        unknown = False
    if unknown:
        parts.append(" unknown scalar value")
    parts.append(f" should have been in [{rng[0]}, {rng[1]}]")
    return "".join(parts)


def prepare_func_exit(env: Env, insn_idx: int) -> int:
    """Leave a static subprogram or callback; returns the next insn index."""
    st = env.cur
    if env.liveness is not None:
        env.liveness.update(env)
    callee = st.frames[st.curframe]
    r0 = callee.regs[0]
    if r0.type == T.PTR_TO_STACK:
        raise VerifierError("cannot return stack pointer to the caller", EINVAL)
    caller = st.frames[st.curframe - 1]
    if callee.in_callback_fn:
        if r0.type != T.SCALAR:
            raise VerifierError("R0 not a scalar value")
        mark_chain_precision(env, 0)
        r0 = callee.regs[0]
        if not retval_range_within(callee.callback_ret_range, r0.s):
            raise VerifierError(invalid_scalar_msg(r0.s, callee.callback_ret_range,
                                                   "At callback return", "R0"), EINVAL)
    else:
        caller.regs[0] = r0
    in_cb = callee.in_callback_fn
    nxt = callee.callsite if in_cb else callee.callsite + 1
    if env.log.level2:
        env.log.line("returning from callee:")
        env.log.line(format_frame(st, callee.frameno))
        env.log.line(f"to caller at {nxt}:")
        env.log.line(format_frame(st, caller.frameno))
    del st.frames[st.curframe:]
    st.curframe -= 1
    SA.on_return(env, caller)
    if in_cb:
        prev = find_prev_entry(env, st, nxt)
        if prev is not None:
            widen_imprecise_scalars(env, prev, st)
    return nxt


# cgroup_sock_addr attach types whose programs may only return 1 (kernel: check_return_code)
_SOCK_ADDR_MUST_RETURN_1 = frozenset({
    "cgroup_udp4_recvmsg", "cgroup_udp6_recvmsg", "cgroup_unix_recvmsg",
    "cgroup_inet4_getpeername", "cgroup_inet6_getpeername", "cgroup_unix_getpeername",
    "cgroup_inet4_getsockname", "cgroup_inet6_getsockname", "cgroup_unix_getsockname"})


def _return_range(pt: str, attach) -> tuple[int, int] | None:
    """The main program's return range for program type ``pt`` with expected attach type
    ``attach`` (kernel: check_return_code's switch), None where R0 is not checked."""
    if pt == "cgroup_skb":
        return (0, 3) if attach == "cgroup_inet_egress" else (0, 1)
    if pt == "cgroup_sock_addr":
        if attach in _SOCK_ADDR_MUST_RETURN_1:
            return (1, 1)
        if attach in ("cgroup_inet4_bind", "cgroup_inet6_bind"):
            return (0, 3)
        return (0, 1)
    if pt in ("cgroup_sock", "sock_ops", "cgroup_device", "cgroup_sysctl", "cgroup_sockopt"):
        return (0, 1)
    if pt in ("sk_lookup", "netfilter"):      # SK_DROP..SK_PASS, NF_DROP..NF_ACCEPT
        return (0, 1)
    if pt == "tracing" and attach == "trace_iter":    # stop (1) or go on (0)
        return (0, 1)
    if pt == "tracing" and attach in ("trace_fentry", "trace_fexit"):
        return (0, 0)
    return None


# (program type, expected attach type) -> _return_range: filled as programs ask
_RETURN_RANGE: dict[tuple, tuple[int, int] | None] = {}
_ASK = object()                 # (not in _RETURN_RANGE yet)
_NOT_INIT, _SCALAR = T.NOT_INIT, T.SCALAR


def check_return_code(env: Env, regno: int = 0) -> None:
    """Main-frame exit: R0 must be readable and within the program type's range.  The
    exception callback's exit is checked as the program's; ``regno`` 1: the cookie of a
    ``bpf_throw`` under the default exception callback (it becomes the return value)."""
    st = env.cur
    frame = st.frames[0]
    subprogno = frame.subprogno
    # the program's own exit, or the exception callback's (a subprogram: never function 0)
    prog_exit = not subprogno or env.subprogs[subprogno].is_exception_cb
    if prog_exit and env.prog_type == "struct_ops" and env.ctx.returns_void:
        return                                  # a void member: R0 is not looked at
    # check_reg_arg_src (regno is 0 or 1), inlined
    env.scratched_regs |= 1 << regno
    reg = st.frames[st.curframe].regs[regno]
    if reg.type == _NOT_INIT:
        raise VerifierError(f"R{regno} !read_ok")
    if frame.in_async_callback_fn:
        exit_ctx = "At async callback return"
        rng = frame.callback_ret_range
    elif not prog_exit:
        if reg.type != _SCALAR:
            raise VerifierError(f"At subprogram exit the register R{regno} is not a scalar "
                                f"value ({T.type_str(reg.type)})", EINVAL)
        return
    else:
        exit_ctx = "At program exit"
        key = (env.prog_type, env.inp.expected_attach_type)
        rng = _RETURN_RANGE.get(key, _ASK)
        if rng is _ASK:
            rng = _RETURN_RANGE[key] = _return_range(*key)
        if rng is None:
            return
    if reg.type != _SCALAR:
        raise VerifierError(f"{exit_ctx} the register R{regno} is not a known value "
                            f"({T.type_str(reg.type)})", EINVAL)
    mark_chain_precision(env, regno)
    reg = env.reg(regno)
    if not retval_range_within(rng, reg.s):
        raise VerifierError(invalid_scalar_msg(reg.s, rng, exit_ctx, f"R{regno}"), EINVAL)


def tail_call_exit(env: Env, insn_idx: int) -> int:
    """bpf_tail_call from a subprogram: a successful call leaves the subprogram
    with whatever the tail-called program returned, so this path returns to the
    caller with an unknown R0 and no packet pointers; the failing call falls through,
    explored later (its R0 stays uninitialised, the helper returns nothing)."""
    push_stack(env, insn_idx + 1, insn_idx)
    clear_all_pkt_pointers(env)         # the tail-called program may change packet data
    env.cur.frames[env.cur.curframe].regs[0] = UNKNOWN_SCALAR
    return prepare_func_exit(env, insn_idx)


def ld_abs_exit(env: Env, insn_idx: int) -> int:
    """LD_ABS/LD_IND in a subprogram: a failed packet read leaves the subprogram
    at once with R0 = 0, so this path returns to the caller; the successful read
    falls through, explored later."""
    push_stack(env, insn_idx + 1, insn_idx)
    env.cur.frames[env.cur.curframe].regs[0] = Reg(T.SCALAR, Scalar.const(0))
    return prepare_func_exit(env, insn_idx)


def process_exit(env: Env, insn, insn_idx: int) -> int | None:
    """BPF_EXIT (kernel: do_check_insn's case): returns the next insn (leaving a
    subprogram) or None when this path of the main program is done."""
    env.jmps_processed += 1
    if insn.imm or insn.src or insn.dst:
        raise VerifierError("BPF_EXIT uses reserved fields", EINVAL)
    st = env.cur
    if st.refs or st.active_locks or st.active_rcu_lock or st.active_preempt_locks:
        # (with no reference or lock held there is nothing to leak)
        check_resource_leak(env, False, st.curframe == 0, "BPF_EXIT instruction in main prog")
    if st.curframe:
        nxt = prepare_func_exit(env, insn_idx)
        env.do_print_state = True
        return nxt
    frame = st.frames[0]
    if (not frame.subprogno and not frame.in_async_callback_fn
            and _RETURN_RANGE.get((env.prog_type, env.inp.expected_attach_type), _ASK) is None
            and env.prog_type != "struct_ops"):
        # check_return_code(env) of the program's own exit where its type leaves R0's
        # range unchecked (the commonest exit; the range is known once a first exit asked):
        # what remains of it is R0's read check, done here without the call
        env.scratched_regs |= 1
        if frame.regs[0].type == _NOT_INIT:
            raise VerifierError("R0 !read_ok")
        return None
    check_return_code(env)
    return None


def global_arg_regs(env: Env, subprog: int, frame: Frame) -> None:
    """Registers at entry of a global subprogram verified on its own
    (kernel: do_check_common with btf_prepare_func_args)."""
    sp = env.subprogs[subprog]
    info = sp.info
    for i in range(1, 6):
        frame.regs[i] = NOT_INIT_REG
    if info is None:
        return
    for i, arg in enumerate(info.args[:5]):
        regno = i + 1
        k = arg.kind
        if k == ArgKind.SCALAR:
            frame.regs[regno] = UNKNOWN_SCALAR
        elif k == ArgKind.CTX:
            frame.regs[regno] = Reg(T.PTR_TO_CTX, Scalar.const(0))
        elif k in (ArgKind.MEM, ArgKind.STRUCT_PTR) and not arg.trusted:
            t = T.PTR_TO_MEM | (T.PTR_MAYBE_NULL if arg.nullable else 0)
            frame.regs[regno] = Reg(t, Scalar.const(0), mem_size=arg.mem_size,
                                    id=env.new_id())
        elif k == ArgKind.DYNPTR:
            # kernel: a const struct bpf_dynptr * the caller proved initialized
            frame.regs[regno] = Reg(T.CONST_PTR_TO_DYNPTR, Scalar.const(0), id=env.new_id())
        elif k == ArgKind.STRUCT_PTR and arg.trusted:
            frame.regs[regno] = callee_reg(env, arg, env.new_id)
        elif k == ArgKind.STRUCT_PTR:
            t = T.PTR_TO_BTF_ID | (T.PTR_TRUSTED if arg.trusted else T.PTR_UNTRUSTED)
            if arg.nullable:
                t |= T.PTR_MAYBE_NULL
            frame.regs[regno] = Reg(t, Scalar.const(0), id=env.new_id() if arg.nullable else 0)
        else:
            frame.regs[regno] = UNKNOWN_SCALAR


__all__ = ["find_exception_callback_insn_off", "check_func_call", "push_callback_call",
           "process_exit", "prepare_func_exit",
           "global_arg_regs", "fp_reg", "EACCES"]
