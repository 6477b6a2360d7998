"""The mock kernel's task, cgroup, cpumask, RCU and preemption kfuncs against vmlinux.

Oracle: the running kernel's /sys/kernel/btf/vmlinux read through bpftool (never through
our BTF parser): every kfunc of core/task_kfuncs has vmlinux's prototype (parameter names
and types exactly), and the one kernel struct a program may pass as plain memory
(``struct cpumask``, and ``struct bpf_cpumask`` built on it) has vmlinux's size and layout.
The verdicts that follow from the flags and program types are compared with the live
kernel in tests/verifier/test_task_kfuncs_vs_kernel.py.
"""

from __future__ import annotations

import pytest

from pipeline.kernel.core.task_kfuncs import KFUNC_SETS

TASK_KFUNCS = sorted(d.name for s in KFUNC_SETS for d in s.defs)


def test_the_families_are_all_there():
    names = set(TASK_KFUNCS)
    for n in ("bpf_task_acquire", "bpf_task_release", "bpf_task_from_pid",
              "bpf_task_under_cgroup", "bpf_task_get_cgroup1", "bpf_cgroup_acquire",
              "bpf_cgroup_release", "bpf_cgroup_from_id", "bpf_cgroup_ancestor",
              "bpf_rcu_read_lock", "bpf_rcu_read_unlock", "bpf_preempt_disable",
              "bpf_preempt_enable", "bpf_cpumask_create", "bpf_cpumask_weight"):
        assert n in names, n
    assert len([n for n in names if n.startswith("bpf_cpumask_")]) == 26          # 6.18: and bpf_cpumask_populate


def _spell(raw, tid: int) -> str:
    i = raw.resolve_int(tid)
    if i is not None and raw.types[tid]["kind"] == "INT":
        return f"int{i['attrs']['size']}:{i['attrs']['encoding']}"
    return raw.render(tid)


@pytest.mark.parametrize("name", TASK_KFUNCS)
def test_prototype_is_vmlinux_s(kernel_raw, vmlinux_raw, name):
    check_prototype_is_vmlinux_s(kernel_raw, vmlinux_raw, name)


def check_prototype_is_vmlinux_s(kernel_raw, vmlinux_raw, name: str) -> None:
    """The mock kernel's prototype of ``name`` is vmlinux's: parameter names and types."""
    theirs = vmlinux_raw.func(name)
    if theirs is None:
        pytest.skip(f"this kernel's vmlinux BTF has no {name}")
    ours = kernel_raw.func(name)
    assert [p for p, _ in ours[1]] == [p for p, _ in theirs[1]]          # parameter names
    # types exactly, an integer by its size and signedness (clang calls gcc's 'long int'
    # 'long')
    assert _spell(kernel_raw, ours[0]) == _spell(vmlinux_raw, theirs[0])
    assert [_spell(kernel_raw, t) for _, t in ours[1]] \
        == [_spell(vmlinux_raw, t) for _, t in theirs[1]]
    assert kernel_raw.decl_tags(name) == ["bpf_kfunc"]


@pytest.mark.parametrize("name", ["cpumask", "bpf_cpumask"])
def test_cpumask_layout_is_vmlinux_s(kernel_raw, vmlinux_raw, name):
    theirs, ours = vmlinux_raw.get("STRUCT", name), kernel_raw.get("STRUCT", name)
    assert ours["attrs"]["size"] == theirs["attrs"]["size"]
    assert [(m["name"], m["bits_offset"]) for m in ours["members"]] \
        == [(m["name"], m["bits_offset"]) for m in theirs["members"]]
