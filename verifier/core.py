"""The verifier's driver: ``verify(VerifierInput) -> Verdict``.

Runs the structure checks (:mod:`verifier.cfg`), register liveness, then the
abstract interpretation of every path (kernel: do_check): a depth-first walk
that keeps one current state, pushes the other side of every undecided
branch, consults the state cache at prune points (:mod:`verifier.prune`) and
stops at the 1,000,000-processed-instructions limit.  Global subprograms are
verified afterwards on their own; the stack-depth check runs last.

Instruction dispatch (:mod:`verifier.dispatch`, kernel: do_check_insn) hands each
class to its module: every instruction naming r11 (stack-argument operands) to
:func:`verifier.stack_args.check_insn`, kfunc calls to
:func:`verifier.kfunc_call.kfunc_call`; the walk reads its opcode tables itself for
every instruction without r11.  Branches are queued on and popped
from the worklist (:mod:`verifier.worklist`); nothing below imports this
module.
"""

from __future__ import annotations

import dataclasses
import errno
import gc
import time
import traceback

from btf.funcs import anonymous_param_problem
from isa.stack_args import PARAMS as _R11
from isa.uapi import PROG_FLAGS
from verifier import alu, btf_ctx, cfg, cfg_one, dispatch, jumps, mem, stack_depth, struct_ops
from verifier import regtypes as T
from verifier import stack_args as SA
from verifier.calls import BPF_MAIN_FUNC, global_arg_regs
from verifier.env import Env
from verifier.errors import E2BIG, EINVAL, VerifierError
from verifier.input import BPF_COMPLEXITY_LIMIT_INSNS, VerifierInput
from verifier.exceptions import check_exception_cb_args
from verifier.arg_tracking import arg_tracking_log
from verifier.liveness import compute_live_registers
from verifier.log import LOG0, Log, check_log_attrs, format_frame
from verifier.prune import DEAD_REGS, is_state_visited, update_branch_counts
from verifier.sleepable import check_attach_sleepable
from verifier.trace import call_name as _call_name, insn_text
from verifier.trace import print_insn_state as _print_insn_state, print_linfo as _linfo
from verifier.stack_liveness import stack_liveness
from verifier.state import MAX_BPF_REG, NOT_INIT_REG, Frame, HistEntry, State, ptr_reg
from verifier.dispatch import do_check_insn
from verifier.facts import subprog_facts as _subprog_facts
from verifier.verdict import Verdict, VerifierErrorInfo

BPF_F_SLEEPABLE = PROG_FLAGS["BPF_F_SLEEPABLE"]
_CTX_REG = ptr_reg(T.PTR_TO_CTX)    # R1 at the main program's entry (registers are immutable)
_new = object.__new__


# --- the main loop ---------------------------------------------------------------------

def do_check(env: Env) -> None:
    log = env.log
    level2 = log.level2
    pop_log = not level2
    # kernel BPF_LOG_LEVEL (1|2): the trace of the path being explored; below level 2 it
    # is reset away again when the path verifies (pop_log)
    trace = bool(log.level & 3)
    insns = env.insns
    prune_point = env.prune_point
    jmp_point = env.jmp_point
    seen = env.seen
    live_before = env.live_regs_before
    n = env.n
    lv = env.liveness
    limit = env.insn_limit
    static_lv = env.inp.static_liveness
    check_insn = do_check_insn
    visited = is_state_visited
    may_write = dispatch.MAY_WRITE_STACK
    is_cond_jmp = dispatch.IS_COND_JMP
    stores = dispatch.CHECK_NEXT        # (where may_write: the stores' checkers)
    # calls, exits, JA, the LD class: (env, insn, idx) -> next index (None: path done)
    flow = dispatch.CHECK_FLOW
    cond_jmp = jumps.check_cond_jmp_op
    # the fall-through checkers, but None where StackLiveness records the insn's writes
    fall_through = dispatch.CHECK_NEXT if lv is None else dispatch.CHECK_NEXT_NO_WRITE
    env.do_print_state = False
    prev_insn_idx = -1
    idx = env.insn_idx
    processed = env.insn_processed
    while True:
        # one path: from the start (or a popped branch) to its exit or a pruning hit
        st = env.cur                    # replaced only by pop_stack, below
        while True:
            env.cur_hist_ent = None
            env.prev_insn_idx = prev_insn_idx
            if idx >= n or idx < 0:
                raise VerifierError(f"invalid insn idx {idx} insn_cnt {n}", 14)
            insn = insns[idx]
            processed += 1
            env.insn_processed = processed
            if processed > limit:
                raise VerifierError(f"BPF program is too large. Processed {processed} insn",
                                    E2BIG)
            st.last_insn_idx = prev_insn_idx
            st.insn_idx = idx
            if prune_point[idx]:
                if static_lv:
                    if st.curframe:
                        clean_dead_regs(env, st)
                    else:       # clean_dead_regs of the outermost frame alone, inlined
                        regs = st.frames[0].regs
                        for i in DEAD_REGS[live_before[idx]]:
                            if regs[i].type:        # (not NOT_INIT, the type 0)
                                regs[i] = NOT_INIT_REG
                if visited(env, idx):
                    if trace:
                        if env.do_print_state:
                            log.line(f"\nfrom {prev_insn_idx} to {idx}: safe")
                        else:
                            log.line(f"{idx}: safe")
                    break
            if jmp_point[idx]:
                # push_jmp_history(env, st, 0) inlined (cur_hist_ent was just cleared), the
                # entry built without a call of HistEntry.__init__ (a cold function less)
                ent = env.cur_hist_ent = _new(HistEntry)
                ent.idx = idx
                ent.prev_idx = prev_insn_idx
                ent.flags = 0
                ent.linked_regs = None
                st.jmp_history.append(ent)
            if trace:
                if level2 and env.do_print_state:
                    # printed in full, and (as in the kernel) not marked clean: after a
                    # path ended everything is scratched, so the state shows again below
                    log.line(f"\nfrom {prev_insn_idx} to {idx}:" + format_frame(st, st.curframe))
                    env.do_print_state = False
                if env.scratched_regs or env.scratched_stack:
                    _print_insn_state(env, st)
                _linfo(env, idx)
                line = f"{idx}: " + insn_text(env, idx)
                log.line(line)
                env.prev_log_pos = log.pos
                env.prev_insn_print_len = len(line) + 1
            seen[idx] = True
            prev_insn_idx = idx
            code = insn.code
            if insn.dst == _R11 or insn.src == _R11:        # stack arguments: do_check_insn
                idx = (lv.check_writes(env, idx, check_insn, insn, idx)
                       if lv is not None and may_write[code] else check_insn(env, insn, idx))
            elif (check := fall_through[code]) is not None:
                # do_check_insn's first table, looked up here: one call fewer for the
                # instructions that fall through and write no stack slot
                check(env, insn)
                idx += 1
            elif is_cond_jmp[code]:             # (and may_goto) do_check_insn's, called here
                env.jmps_processed += 1
                idx = cond_jmp(env, insn, idx)
            elif lv is not None and may_write[code]:
                # with the stack-write marks of this instruction: a store, or a call
                if (check := stores[code]) is not None:
                    lv.check_writes(env, idx, check, insn)
                    idx += 1
                else:
                    idx = lv.check_writes(env, idx, flow[code], insn, idx)
            else:
                idx = flow[code](env, insn, idx)
            if idx is None:
                break
            env.insn_idx = idx
            if trace and is_cond_jmp[insn.code] and (env.scratched_regs or
                                                     env.scratched_stack):
                # the kernel prints this from check_cond_jmp_op, before it moves
                # insn_idx: the line carries the jump's own index
                _print_insn_state(env, env.cur, prev_insn_idx)
        # path done (pruned or exited): the kernel's process_bpf_exit scratches all
        env.scratched_regs = (1 << MAX_BPF_REG) - 1
        env.scratched_stack = -1
        cur = env.cur
        branches = cur.branches - 1
        if branches or (cur.parent is None and not env.scc_info):
            # update_branch_counts when it stops at once: the count stays above 0, or it
            # reaches 0 in the first state (no parent) outside any SCC (nothing to exit)
            cur.branches = branches
        else:
            update_branch_counts(env, cur)
        stack = env.stack
        if not stack:
            # the walk is over: nothing reads the last path's stack-liveness update (a
            # global subprogram verified next has its own call chains) but level 2's log
            if lv is not None and level2:
                lv.update(env)
            break
        if lv is not None:
            lv.update(env)
        # kernel: pop_stack - continue with the most recently queued branch (its log
        # position restored below level 2)
        e = stack.pop()
        env.cur = e.st
        idx = env.insn_idx = e.insn_idx
        prev_insn_idx = env.prev_insn_idx = e.prev_insn_idx
        if pop_log and e.log_pos < log.end:     # (log.reset keeps a log ending there)
            log.reset(e.log_pos)
        env.do_print_state = True
        if lv is not None:
            lv.update(env)


def clean_dead_regs(env: Env, st: State) -> None:
    """kernel (states.c, is_state_visited): "keep cleaning the current state as
    registers/stack become dead" - at every prune point, before states are compared, a
    register that no path reads before writing (live_regs_before at the frame's
    instruction: the current insn for the innermost frame, the call site for the
    callers) becomes NOT_INIT.  Checkpoints copied from the state then lack dead
    registers too, which is what the selftests see in ``mark_precise: ... parent
    state`` lines (``frame1: R10=fp0``).  Only registers: their liveness is static and
    complete here, while this verifier's stack-slot liveness is still being gathered
    during the walk (slots are cleaned once a state is explored, prune.py).  Kernels
    before the static liveness rework (this machine's 6.18, say) do not do this:
    ``VerifierInput.static_liveness = False`` reproduces their logs."""
    live = env.live_regs_before
    cur = st.curframe
    frames = st.frames
    for fr in range(cur + 1):
        ip = st.insn_idx if fr == cur else frames[fr + 1].callsite
        regs = frames[fr].regs
        # a plain loop over the dead registers (most are NOT_INIT already): 0.5 us a call,
        # where picking them out through itemgetter/map/compress took 1.7
        for i in DEAD_REGS[live[ip]]:
            if regs[i].type:                # (not NOT_INIT, the type 0)
                regs[i] = NOT_INIT_REG


def do_check_common(env: Env, subprog: int) -> None:
    env.prev_linfo = None
    env.pass_cnt += 1
    st = State()
    st.branches = 1
    st.in_sleepable = bool(env.inp.prog_flags & BPF_F_SLEEPABLE)
    f = Frame(0, BPF_MAIN_FUNC, subprog)        # calls.init_frame
    st.frames = [f]
    sp = env.subprogs[subprog]
    st.first_insn_idx = sp.start
    st.last_insn_idx = -1
    env.cur = st
    env.stack = []
    env.explored = {}
    env.scc_info = {}
    env.insn_idx = sp.start
    if subprog:
        if env.log.level & 3:
            env.log.line(f"Validating {sp.name}() func#{subprog}...")
        if sp.btf_problem and sp.info is None:
            # kernel: btf_prepare_func_args fails the global function verified on its own
            raise VerifierError(sp.btf_problem, EINVAL)
        if sp.is_exception_cb:
            check_exception_cb_args(env, subprog)
        global_arg_regs(env, subprog, f)
    else:
        if sp.btf_problem and env.inp.func_info:
            env.log.line(sp.btf_problem)
        f.regs[1] = _CTX_REG
    env.scratched_regs = (1 << MAX_BPF_REG) - 1
    env.scratched_stack = -1
    if env.log.level & 3:
        env.log.line(f"{sp.start}:" + format_frame(st, 0))
        env.scratched_regs = env.scratched_stack = 0
    env.prev_log_pos = None
    do_check(env)
    log = env.log
    if not log.level2 and log.end:
        # kernel (do_check_common): below level 2 a function that verified leaves no log
        # behind, everything printed so far included (bpf_vlog_reset(&env->log, 0); an
        # empty log, as at level 0, has nothing to reset)
        log.reset(0)


def do_check_subprogs(env: Env) -> None:
    """kernel: do_check_subprogs - the global subprograms that were called, each on its
    own, until no newly called one remains (a program of one function has none)."""
    if not env.inp.func_info or len(env.subprogs) == 1:
        return
    for sp in env.subprogs:
        if sp.is_exception_cb:
            sp.called = True        # kernel: presumed to be always called
    while True:
        new = 0
        for k in range(1, len(env.subprogs)):
            sp = env.subprogs[k]
            if sp.linkage != "global" or not sp.called or sp.verified:
                continue
            do_check_common(env, k)
            if env.log.level & 3:        # BPF_LOG_LEVEL: not at BPF_LOG_STATS alone
                env.log.line(f"Func#{k} ('{sp.name}') is safe for any args that match its "
                             f"prototype")
            sp.verified = True
            new += 1
        if not new:
            return


def verify(inp: VerifierInput, log_level: int = 1, log=None, log_size: int | None = None) -> Verdict:
    """Verify one program.  Never raises on malformed programs: every
    problem becomes a rejected Verdict.

    ``log_level``: 0, 1 or 2, plus 4 for the kernel's BPF_LOG_STATS lines.  ``log``: a
    text stream the log is written to as it is produced (``Verdict.log`` stays empty);
    without it the log is kept and returned in ``Verdict.log``.  ``log_size``: the
    kernel's log buffer size: the log keeps its last ``log_size - 1`` bytes and a log
    that needed more fails the load with ENOSPC (``Verdict.log_true_size``).  Log
    attributes the kernel refuses (bpf_vlog_init) give a rejected Verdict with EINVAL."""
    # (the common request, a plain level and no buffer size, needs no check)
    if log_size is not None or log_level.__class__ is not int or not 0 <= log_level <= 7:
        problem = check_log_attrs(log_level, log_size)
        if problem:
            return Verdict(accepted=False, error=VerifierErrorInfo(
                f"invalid log attributes: {problem}", None, None, EINVAL))
    # the cyclic garbage collector is held off while we run (restored on return):
    # a full collection scans every object of the process, milliseconds that
    # would land at random in one program's time
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _verify(inp, log_level, log, log_size)
    finally:
        if gc_was_enabled:
            gc.enable()


def _verify(inp: VerifierInput, log_level: int, sink, log_size: int | None) -> Verdict:
    t0 = time.perf_counter()
    btf_refused = None
    if inp.btf is not None and (btf_refused := anonymous_param_problem(inp.btf)):
        # BPF_BTF_LOAD (btf.c, btf_func_check) refuses a FUNC with an unnamed parameter,
        # as clang leaves a naked function's (the selftests' __btf_func_path fix-up names
        # them first); libbpf, for which this BTF is optional, then loads the program
        # without prog_btf_fd, func_info and line_info
        inp = dataclasses.replace(inp, btf=None, func_info=[], line_info=[])
    # (alu's memos of scalar results: emptied at the end of every run, below)
    # at level 0 nothing is written, held or reset: every such run shares one Log
    log = Log(log_level, sink, log_size) if log_level else LOG0
    env = Env(inp, log)
    if log_level and not log.level2:
        # below level 2 every function that verifies resets the log to 0 (and a popped
        # branch to its position): nothing is flushed before the end
        log.hold()
    if log_level:
        # the log's instruction text (verifier.trace): nothing asks for it at level 0
        env.call_name = _call_name(env)
        env.insn_text = lambda i: insn_text(env, i)
    error: VerifierError | None = None
    stage = "load"
    try:
        if env.n == 0:
            raise VerifierError("empty program", EINVAL)
        if env.n > BPF_COMPLEXITY_LIMIT_INSNS:
            raise VerifierError("program too large", E2BIG)
        stage = "cfg"
        # a program with forward jumps (one function, or several calling one another
        # without a cycle): add_subprogs, check_subprogs and check_cfg's walk in one
        # (cfg_one; None: the general passes)
        one = cfg_one.scan(env)
        if one is None:
            cfg.add_subprogs(env)
            cfg.check_subprogs(env)
        cfg.check_btf_func(env)
        if env.prog_type == "tracing":
            env.ctx = btf_ctx.attach(env.inp)      # kernel: check_attach_btf_id
        elif env.prog_type == "struct_ops":
            env.ctx = struct_ops.attach(env.inp)   # kernel: check_struct_ops_btf_id
        # (each pass below is called only where it has something to do)
        if env.res_insns:                   # LD class, reserved fields, unknown opcodes
            cfg.resolve_pseudo_ldimm64(env)
        if one is None:
            cfg.check_cfg(env)
        else:
            cfg_one.finish(env, one)
        if inp.prog_flags or inp.prog_type == "syscall":    # (sleepable: a flag)
            check_attach_sleepable(env)
        if not env.loop_free:               # no cycle without a backward edge
            cfg.compute_scc(env)
        if env.log.level2 and env.inp.static_liveness:
            pos = env.log.hold()
            try:
                arg_tracking_log(env)
            except Exception:  # noqa: BLE001 - log lines only: never let them change a verdict
                env.log.reset(pos)
            env.log.release(pos)
        if one is None or env.log.level2:
            # (cfg_one.scan worked out the live registers of a program it took; the
            # level-2 log prints them)
            compute_live_registers(env)
        env.liveness = stack_liveness(env)
        stage = "check"
        do_check_common(env, 0)
        if len(env.subprogs) > 1:
            do_check_subprogs(env)
        stage = "post"
        stack_depth.check_max_stack_depth(env)
        SA.after_check(env)
        insns = env.insns
        for i in env.call_insns:
            # a tcp_sock pointer comes only from a helper that returns one (bpf_tcp_sock):
            # without such a call no load can fail convert_ctx_accesses
            if insns[i].imm in mem.TCP_SOCK_HELPERS and not insns[i].src:
                mem.convert_ctx_accesses(env)
                break
    except VerifierError as e:
        error = e
    except Exception as exc:  # noqa: BLE001 - never crash on a program; report it
        error = VerifierError(f"verifier internal error: {type(exc).__name__}: {exc}", 14)
        env.internal_error = traceback.format_exc()
    if error is not None:
        # a kept exception's traceback holds this frame (and every frame of the walk),
        # which holds the exception: a reference cycle that keeps the whole run alive
        # until a cyclic collection.  Only the message and fields are used below.
        error.__traceback__ = error.__context__ = error.__cause__ = None
        if stage == "check" and error.insn is None:
            error.insn = env.insn_idx
        if log_level:
            for line in error.lines:
                log.line(line)
            if error.newline:
                log.line(error.message)
            else:
                log.write(error.message)
            for line in error.post:
                log.line(line)
        sub = env.subprog_of(error.insn) if (error.insn is not None and env.subprogs) else None
        info = VerifierErrorInfo(error.message, error.insn, sub, error.errno)
    else:
        info = None
    aux = env.aux
    tail_call_maps = {}
    for i in env.call_insns:        # map_ptr_state is set on helper calls only (tail calls)
        a = aux.get(i)              # (an insn without facts has none: no InsnAux made)
        m = None if a is None else a.map_ptr_state
        if m is not None and m != "poison":
            tail_call_maps[i] = m.name
    # (every field positionally, in Verdict's order: no keyword matching to run; the
    # test_verdict_fields test holds this order to the dataclass's)
    v = Verdict(error is None, info, "",                                # accepted, error, log
                env.insn_processed, env.max_states_per_insn, env.total_states,
                env.peak_states, 0,                                     # ... mark_read
                _subprog_facts(env), env.seen,  # subprogs, seen_insns (the run's own list)
                tail_call_maps,
                env.kfunc_calls,    # kfunc_calls: the run's own dict (env ends here)
                0.0, 0,                                     # verify_time_s, log_true_size
                env.internal_error, btf_refused)
    if log_level:
        # (at level 0 there is no log: no text, log_true_size 0, no buffer to overflow)
        if log.stats:
            # kernel: print_verification_stats
            log.line("verification time %d usec" % ((time.perf_counter() - t0) * 1e6))
            log.line("stack depth " + "+".join(str(d) for d in v.stack_depths))
        log.line(v.stats_line())
        v.log_true_size = log.true_size
        v.log = log.finish()
        if log.truncated:
            # kernel: bpf_vlog_finalize's -ENOSPC replaces the verdict's own error code
            v.accepted = False
            if v.error is None:
                v.error = VerifierErrorInfo(f"log truncated: log_size {log_size} < "
                                            f"log_true_size {v.log_true_size} (ENOSPC)", None,
                                            None, errno.ENOSPC)
            else:
                v.error.errno = errno.ENOSPC
    # the reference cycles env -> closure (or StackLiveness) -> env: broken here, so the
    # whole run is freed by reference counting on return instead of waiting for a cyclic
    # collection (which then lands in some later verification's time)
    if log_level:
        env.insn_text = None
        env.call_name = None
    env.liveness = None             # StackLiveness -> env
    # the memos of scalar results are emptied now, while their objects are still in the
    # CPU caches, instead of at the next run's start: every run starts with them empty
    # (their results are exact: a run that found them filled would verify the same)
    alu.clear_memos()
    v.verify_time_s = time.perf_counter() - t0
    return v
