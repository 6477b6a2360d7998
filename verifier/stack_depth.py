"""The call-chain stack checks that run after the abstract interpretation (kernel:
``check_max_stack_depth`` / ``check_max_stack_depth_subprog``, ``round_up_stack_depth``).

From the main program and from every async callback, walk each chain of BPF-to-BPF calls:
at most 8 frames (``the call stack of 9 frames is too deep !``), at most 512 bytes of
combined, rounded stack (``combined stack size of 3 calls is 544. Too large``), no tail call
with 256 or more bytes of stack in the frames above it, no direct call of the exception
callback, no ``bpf_throw`` inside a callback (:mod:`verifier.exceptions`); subprograms from which a tail call is reachable are marked.  Programs of the
tracing types that may use a private stack do not charge frames of 64 bytes or more.
"""

from __future__ import annotations

from bisect import bisect_left

from isa import opcodes as op
from verifier.cfg import is_pseudo_call, is_pseudo_func
from verifier.env import Env
from verifier.errors import E2BIG, EINVAL, VerifierError
from verifier.exceptions import check_throw_site
from verifier.state import MAX_BPF_STACK, MAX_CALL_FRAMES


def round_up_stack_depth(env: Env, depth: int) -> int:
    if env.inp.jit_requested:
        return (depth + 15) // 16 * 16
    return (max(depth, 1) + 31) // 32 * 32


_PRIV_STACK_TYPES = ("kprobe", "tracepoint", "perf_event", "raw_tracepoint")
BPF_PRIV_STACK_MIN_SIZE = 64


def check_max_stack_depth(env: Env) -> None:
    sps = env.subprogs
    if len(sps) == 1 and not sps[0].is_cb and not (
            (env.call_insns or env.ldimm_insns) and _calls_itself(env)):
        # one function that calls nothing of its own: the chain is the main function
        # alone, whose kfunc calls may throw (no callback), so only its stack counts
        sp = sps[0]
        if sp.stack_depth > MAX_BPF_STACK:
            # (rounded up, a depth is above MAX_BPF_STACK, a multiple of 32, only if it
            # was already: below, the check cannot fail)
            d = round_up_stack_depth(env, sp.stack_depth)
            priv = not sp.has_tail_call and env.prog_type in _PRIV_STACK_TYPES
            if d > MAX_BPF_STACK and not (priv and d >= BPF_PRIV_STACK_MIN_SIZE):
                raise VerifierError(f"combined stack size of 1 calls is {d}. Too large")
        if sp.tail_call_reachable:
            env.tail_call_reachable = True
        return
    priv_mode = None
    if any(sp.has_tail_call for sp in sps):
        priv_mode = "none"
    if priv_mode is None:
        priv_mode = "adaptive" if env.prog_type in _PRIV_STACK_TYPES else "none"
    # the insns the walk stops at: calls and LD_IMM64s (callback addresses), in order
    sites = env.call_insns
    ldimm = env.ldimm_insns
    if ldimm:
        sites = sorted(sites + ldimm)
    for k in range(len(sps) - 1, -1, -1):
        if k == 0 or sps[k].is_async_cb:
            _check_depth_from(env, k, k == 0 and priv_mode == "adaptive", sites)
    if sps and sps[0].tail_call_reachable:
        env.tail_call_reachable = True


def _calls_itself(env: Env) -> bool:
    """A one-function program calls its own code (a BPF-to-BPF call or a callback
    address can only lead back to its first insn then)."""
    insns = env.insns
    for i in env.call_insns:
        if insns[i].src == _PSEUDO_CALL:
            return True
    for i in env.ldimm_insns:
        if insns[i].src == _PSEUDO_FUNC:
            return True
    return False


_PSEUDO_CALL, _PSEUDO_FUNC = op.PSEUDO_CALL, op.PSEUDO_FUNC


def _check_depth_from(env: Env, idx: int, priv: bool, sites: list[int]) -> None:
    sps = env.subprogs
    insns = env.insns
    depth = 0
    frame = 0
    tail_call_reachable = False
    ret_insn = [0] * MAX_CALL_FRAMES
    ret_prog = [0] * MAX_CALL_FRAMES
    i = sps[idx].start
    charged = [False] * MAX_CALL_FRAMES
    nsites = len(sites)

    def enter(idx: int) -> None:
        nonlocal depth
        if idx and sps[idx].has_tail_call and depth >= 256:
            raise VerifierError(f"tail_calls are not allowed when call stack of previous frames "
                                f"is {depth} bytes. Too large")
        d = round_up_stack_depth(env, sps[idx].stack_depth)
        if priv and d >= BPF_PRIV_STACK_MIN_SIZE:
            charged[frame] = False
            return
        charged[frame] = True
        depth += d
        if depth > MAX_BPF_STACK:
            raise VerifierError(f"combined stack size of {frame + 1} calls is {depth}. Too large")

    enter(idx)
    while True:
        end = sps[idx + 1].start if idx + 1 < len(sps) else env.n
        called = False
        p = bisect_left(sites, i)      # every other insn is passed over
        while p < nsites and sites[p] < end:
            i = sites[p]
            p += 1
            insn = insns[i]
            if not (is_pseudo_call(insn) or is_pseudo_func(insn)):
                if insn.code == op.CALL_OP and insn.src == op.PSEUDO_KFUNC_CALL:
                    check_throw_site(env, i, idx, frame, ret_prog)
                continue
            ret_insn[frame] = i + 1
            ret_prog[frame] = idx
            nxt = i + insn.imm + 1
            sidx = env.subprog_of(nxt)
            if sps[sidx].is_async_cb and not is_pseudo_call(insn):
                continue
            if sps[sidx].is_exception_cb:
                raise VerifierError(f"insn {i} cannot call exception cb directly", EINVAL,
                                    newline=False)
            i = nxt
            idx = sidx
            if sps[idx].has_tail_call:
                tail_call_reachable = True
            frame += 1
            if frame >= MAX_CALL_FRAMES:
                raise VerifierError(f"the call stack of {frame} frames is too deep !", E2BIG)
            enter(idx)
            called = True
            break
        if called:
            continue
        if tail_call_reachable:
            for j in range(frame):
                sps[ret_prog[j]].tail_call_reachable = True
        if frame == 0:
            return
        if charged[frame]:
            depth -= round_up_stack_depth(env, sps[idx].stack_depth)
        frame -= 1
        i = ret_insn[frame]
        idx = ret_prog[frame]


__all__ = ["check_max_stack_depth", "round_up_stack_depth"]
