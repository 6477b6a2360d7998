"""What a finished verification hands on per subprogram (:class:`verifier.verdict.SubprogFacts`:
boundaries, stack depth, callback and tail-call flags, argument and stack-argument slot
counts): the kernel's ``bpf_subprog_info`` fields the JIT reads after ``bpf_check``,
with the stack growth of ``optimize_bpf_loop``.
"""

from __future__ import annotations

from verifier.env import NO_FACTS, Env
from verifier.verdict import SubprogFacts


def loop_inline_extra(env: Env, sp) -> int:
    """kernel: optimize_bpf_loop - a subprogram with a bpf_loop call fit for inlining gets
    three more stack slots (loop counter, callback context, saved r6) after verification."""
    aux = env.aux
    start, end = sp.start, sp.end
    for i in env.call_insns:        # only a helper call has loop_inline set
        if start <= i < end:
            state = aux.get(i, NO_FACTS).loop_inline
            if state is not None and state[0]:
                return 3 * 8
    return 0


def subprog_facts(env: Env) -> list[SubprogFacts]:
    """The facts of every subprogram, in order (the main program first)."""
    calls = env.call_insns
    facts = []
    for k, sp in enumerate(env.subprogs):   # (a loop: no comprehension's own code to run)
        facts.append(SubprogFacts(
            k, sp.name or (env.inp.name if k == 0 else f"func#{k}"), sp.start, sp.end,
            sp.stack_depth + (loop_inline_extra(env, sp) if calls else 0),
            sp.linkage == "global", sp.is_cb, sp.is_async_cb, sp.has_tail_call,
            sp.tail_call_reachable, sp.has_ld_abs, sp.arg_cnt, sp.stack_arg_cnt,
            sp.out_stack_arg_cnt, sp.changes_pkt_data))
    return facts


__all__ = ["subprog_facts", "loop_inline_extra"]
