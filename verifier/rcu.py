"""RCU read-side sections and preemption-disabled regions of a program.

Kernel counterpart: the ``rcu_lock``/``rcu_unlock``/``preempt_disable``/
``preempt_enable`` part of ``check_kfunc_call`` and the might-sleep checks of
``check_helper_call`` (kernel/bpf/verifier.c).  The state carries
``active_rcu_lock`` (0 or 1: sections do not nest) and ``active_preempt_locks``
(a count: ``bpf_preempt_disable`` nests).  What must not happen inside them
(exit, tail call, LD_ABS) is :func:`verifier.refs.check_resource_leak`.

At ``bpf_rcu_read_unlock`` every pointer that was only valid inside the
section (``MEM_RCU``: RCU-protected kernel objects) becomes untrusted, in every
frame, spilled or not, and in the stack-argument slots.
"""

from __future__ import annotations

from verifier import regtypes as T
from verifier.errors import EACCES, EINVAL, VerifierError
from verifier.refs import for_each_reg

RCU_LOCK, RCU_UNLOCK = "bpf_rcu_read_lock", "bpf_rcu_read_unlock"
PREEMPT_DISABLE, PREEMPT_ENABLE = "bpf_preempt_disable", "bpf_preempt_enable"


def _drop_rcu(r):
    """MEM_RCU -> PTR_UNTRUSTED (and no longer maybe-NULL: an untrusted load may fault)."""
    if r.type & T.MEM_RCU:
        return r.with_(type=(r.type & ~(T.MEM_RCU | T.PTR_MAYBE_NULL)) | T.PTR_UNTRUSTED)
    return None


def kfunc_regions(env, name: str, sleepable: bool) -> None:
    """After a kfunc call's arguments are checked: enter/leave an RCU section or a
    preemption-disabled region, or refuse a sleepable kfunc inside one."""
    st = env.cur
    if st.active_rcu_lock:
        if name == RCU_LOCK:
            raise VerifierError(f"nested rcu read lock (kernel function {name})", EINVAL)
        if name == RCU_UNLOCK:
            for_each_reg(st, _drop_rcu)
            st.active_rcu_lock = 0
        elif sleepable:
            raise VerifierError(f"kernel func {name} is sleepable within rcu_read_lock region",
                                EACCES)
    elif name == RCU_LOCK:
        st.active_rcu_lock = 1
    elif name == RCU_UNLOCK:
        raise VerifierError(f"unmatched rcu read unlock (kernel function {name})", EINVAL)
    if st.active_preempt_locks:
        if name == PREEMPT_DISABLE:
            st.active_preempt_locks += 1
        elif name == PREEMPT_ENABLE:
            st.active_preempt_locks -= 1
        elif sleepable:
            raise VerifierError(f"kernel func {name} is sleepable within non-preemptible region",
                                EACCES)
    elif name == PREEMPT_DISABLE:
        st.active_preempt_locks = 1
    elif name == PREEMPT_ENABLE:
        raise VerifierError(f"unmatched attempt to enable preemption (kernel function {name})",
                            EINVAL)


def helper_regions(env, helper: str, func_id: int, might_sleep: bool) -> None:
    """A helper that may sleep is refused inside either region."""
    if not might_sleep:
        return
    st = env.cur
    if st.active_rcu_lock:
        raise VerifierError(f"sleepable helper {helper}#{func_id} in rcu_read_lock region",
                            EINVAL)
    if st.active_preempt_locks:
        raise VerifierError(f"sleepable helper {helper}#{func_id} in non-preemptible region",
                            EINVAL)


__all__ = ["kfunc_regions", "helper_regions"]
