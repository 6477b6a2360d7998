"""The kernel's two shared kfunc id sets and the program types they are registered for.

kernel/bpf/helpers.c ``kfunc_init``: ``generic_btf_ids`` and ``common_btf_ids``.  Several
core kfunc files add kfuncs to them (kfuncs.py, task_kfuncs.py, graph.py, misc_kfuncs.py);
each makes its own :class:`KfuncSet` object from here, so the set's name and program types
are written once.  The generic set's program types are the ones the live 6.18 kernel lets
call bpf_throw (probed per type): 6.12's six registrations plus the types that share their
registration hooks (btf.c ``bpf_prog_type_to_kfunc_hook``) and sock_ops.
"""

from __future__ import annotations

from ..registry import KfuncSet

GENERIC_PROG_TYPES = frozenset({
    "tracing", "sched_cls", "xdp", "struct_ops", "syscall", "cgroup_skb", "cgroup_sock",
    "cgroup_sock_addr", "cgroup_sockopt", "cgroup_sysctl", "cgroup_device", "sock_ops",
    "tracepoint", "perf_event"})


def generic_set() -> KfuncSet:
    """kernel/bpf/helpers.c generic_btf_ids."""
    return KfuncSet("generic_btf_ids", module="vmlinux", prog_types=GENERIC_PROG_TYPES)


def common_set() -> KfuncSet:
    """kernel/bpf/helpers.c common_btf_ids, registered for BPF_PROG_TYPE_UNSPEC (every type)."""
    return KfuncSet("common_btf_ids", module="vmlinux", prog_types={"unspec"})
