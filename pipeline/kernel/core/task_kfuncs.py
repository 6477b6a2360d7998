"""Kernel-object kfuncs as Python: tasks, cgroups, cpumasks, RCU sections and preemption.

Behaviour follows kernel/bpf/helpers.c (``generic_btf_ids``: ``bpf_task_*``,
``bpf_cgroup_*``; ``common_btf_ids``: ``bpf_rcu_read_lock/unlock``,
``bpf_preempt_disable/enable``) and kernel/bpf/cpumask.c, with the flags and
program types each id set is registered with.  Prototypes and the mock kernel's
object layouts are in task_kfuncs.c beside this file.

The mock kernel's world (the one the helpers report): a single task, the
current one (pid = tgid = 4242, ``bpf_get_current_pid_tgid``), in the root
cgroup (id 1, level 0, ``bpf_get_current_cgroup_id``), on one CPU
(``bpf_get_smp_processor_id`` is 0, so ``nr_cpu_ids`` is 1), with no cgroup v1
hierarchy mounted.  Kernel-owned objects are mapped on first use; a
``bpf_cpumask`` is a fresh object per ``bpf_cpumask_create``.  Refcounts are
kept in the objects and a put that hits zero on a kernel-owned object is
reported as the kernel's refcount warning would be.  RCU and preemption have
no run-time effect on one CPU.
"""

from __future__ import annotations

import struct

from ..helpers_net import ROOT_CGROUP_ID
from ..registry import KfuncSet
from .sets import common_set, generic_set
from ..state import KernelState, load, load_s32, s32, store

CURRENT_PID = 4242           # bpf_get_current_pid_tgid's pid and tgid
NR_CPU_IDS = 1

# struct task_struct / struct cgroup / struct bpf_cpumask of task_kfuncs.c
TASK_USAGE, TASK_PID, TASK_TGID, TASK_COMM, TASK_CGROUP, TASK_CPUS, TASK_PARENT = \
    0, 4, 8, 12, 32, 40, 48
TASK_SIZE = 56
CGRP_REFCNT, CGRP_LEVEL, CGRP_ID, CGRP_ANCESTORS = 0, 4, 8, 16
CGRP_SIZE = 24
MASK_BITS, MASK_USAGE = 0, 32          # NR_CPUS = 256: four words of bits
MASK_SIZE = 40

GENERIC, COMMON = generic_set(), common_set()          # kernel/bpf/helpers.c (sets.py)
# kernel/bpf/cpumask.c: cpumask_kfunc_set
CPUMASK = KfuncSet("cpumask_kfunc_btf_ids", module="vmlinux",
                   prog_types={"tracing", "struct_ops", "syscall"})
KFUNC_SETS = [GENERIC, COMMON, CPUMASK]


# ---- the mock kernel's objects -----------------------------------------------------------

def root_cgroup(vm) -> int:
    return KernelState.of(vm).object(
        "cgroup:root", lambda a: struct.pack("<iiQQ", 1, 0, ROOT_CGROUP_ID, a))


def current_cpus(vm) -> int:
    return KernelState.of(vm).object("cpumask:cpu_online", struct.pack("<Q24x", 1))


def current_task(vm) -> int:
    cgrp, cpus = root_cgroup(vm), current_cpus(vm)
    return KernelState.of(vm).object(
        "task:current", lambda a: struct.pack("<iii16s4xQQQ", 1, CURRENT_PID, CURRENT_PID,
                                              b"stackargs", cgrp, cpus, a))


def _get(vm, ref: int) -> bool:
    """refcount_inc_not_zero."""
    n = load_s32(vm, ref)
    if n <= 0:
        return False
    store(vm, ref, 4, n + 1)
    return True


def _put(vm, ref: int, what: str) -> int:
    """refcount_dec; the count left."""
    n = load_s32(vm, ref) - 1
    if n < 0:
        KernelState.of(vm).warnings.append(f"refcount_t: underflow; use-after-free in {what}")
    store(vm, ref, 4, n)
    return n


def _kernel_put(vm, ref: int, what: str) -> None:
    if _put(vm, ref, what) == 0:
        KernelState.of(vm).warnings.append(f"refcount_t: decrement hit 0 in {what}")


# ---- tasks and cgroups ---------------------------------------------------------------------

@GENERIC.kfunc("KF_ACQUIRE", "KF_RCU", "KF_RET_NULL")
def bpf_task_acquire(vm, p):
    return p if _get(vm, p + TASK_USAGE) else 0


@GENERIC.kfunc("KF_RELEASE")
def bpf_task_release(vm, p):
    _kernel_put(vm, p + TASK_USAGE, f"bpf_task_release({p:#x})")


@GENERIC.kfunc("KF_ACQUIRE", "KF_RCU", "KF_RET_NULL")
def bpf_cgroup_acquire(vm, cgrp):
    return cgrp if _get(vm, cgrp + CGRP_REFCNT) else 0


@GENERIC.kfunc("KF_RELEASE")
def bpf_cgroup_release(vm, cgrp):
    _kernel_put(vm, cgrp + CGRP_REFCNT, f"bpf_cgroup_release({cgrp:#x})")


@GENERIC.kfunc("KF_ACQUIRE", "KF_RCU", "KF_RET_NULL")
def bpf_cgroup_ancestor(vm, cgrp, level):
    level = s32(level)
    if level > load_s32(vm, cgrp + CGRP_LEVEL) or level < 0:
        return 0
    anc = load(vm, cgrp + CGRP_ANCESTORS + 8 * level, 8)
    return anc if _get(vm, anc + CGRP_REFCNT) else 0


@GENERIC.kfunc("KF_ACQUIRE", "KF_RET_NULL")
def bpf_cgroup_from_id(vm, cgid):
    if cgid != ROOT_CGROUP_ID:
        return 0
    cgrp = root_cgroup(vm)
    return cgrp if _get(vm, cgrp + CGRP_REFCNT) else 0


@GENERIC.kfunc("KF_RCU")
def bpf_task_under_cgroup(vm, task, ancestor):
    """task_under_cgroup_hierarchy: the task's cgroup is ``ancestor`` or below it."""
    cgrp = load(vm, task + TASK_CGROUP, 8)
    level = load_s32(vm, ancestor + CGRP_LEVEL)
    if load_s32(vm, cgrp + CGRP_LEVEL) < level:
        return 0
    return int(load(vm, cgrp + CGRP_ANCESTORS + 8 * level, 8) == ancestor)


@GENERIC.kfunc("KF_ACQUIRE", "KF_RCU", "KF_RET_NULL")
def bpf_task_get_cgroup1(vm, task, hierarchy_id):
    return 0                     # no cgroup v1 hierarchy is mounted


@GENERIC.kfunc("KF_ACQUIRE", "KF_RET_NULL")
def bpf_task_from_pid(vm, pid):
    if s32(pid) != CURRENT_PID:
        return 0
    task = current_task(vm)
    return task if _get(vm, task + TASK_USAGE) else 0


# ---- RCU read-side sections and preemption: nothing to do on one CPU -----------------------

@COMMON.kfunc()
def bpf_rcu_read_lock(vm):
    return None


@COMMON.kfunc()
def bpf_rcu_read_unlock(vm):
    return None


@COMMON.kfunc()
def bpf_preempt_disable(vm):
    return None


@COMMON.kfunc()
def bpf_preempt_enable(vm):
    return None


# ---- cpumasks: nr_cpu_ids bits in the first word -------------------------------------------

ALL = (1 << NR_CPU_IDS) - 1


def _bits(vm, m) -> int:
    return load(vm, m + MASK_BITS, 8) & ALL


def _set_bits(vm, m, v: int) -> None:
    store(vm, m + MASK_BITS, 8, v & ALL)


def _first(v: int) -> int:
    """find_first_bit over nr_cpu_ids bits: nr_cpu_ids when none is set."""
    return (v & -v).bit_length() - 1 if v else NR_CPU_IDS


@CPUMASK.kfunc("KF_ACQUIRE", "KF_RET_NULL")
def bpf_cpumask_create(vm):
    st = KernelState.of(vm)
    n = sum(1 for k in st.objects if k.startswith("bpf_cpumask#"))
    return st.object(f"bpf_cpumask#{n}", struct.pack("<32xi4x", 1))


@CPUMASK.kfunc("KF_ACQUIRE", "KF_TRUSTED_ARGS")
def bpf_cpumask_acquire(vm, cpumask):
    store(vm, cpumask + MASK_USAGE, 4, load_s32(vm, cpumask + MASK_USAGE) + 1)
    return cpumask


@CPUMASK.kfunc("KF_RELEASE")
def bpf_cpumask_release(vm, cpumask):
    _put(vm, cpumask + MASK_USAGE, f"bpf_cpumask_release({cpumask:#x})")


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_first(vm, cpumask):
    return _first(_bits(vm, cpumask))


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_first_zero(vm, cpumask):
    return _first(~_bits(vm, cpumask) & ALL)


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_first_and(vm, src1, src2):
    return _first(_bits(vm, src1) & _bits(vm, src2))


def _valid(cpu: int) -> bool:
    return (cpu & 0xFFFFFFFF) < NR_CPU_IDS


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_set_cpu(vm, cpu, cpumask):
    if _valid(cpu):
        _set_bits(vm, cpumask, _bits(vm, cpumask) | 1 << cpu)


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_clear_cpu(vm, cpu, cpumask):
    if _valid(cpu):
        _set_bits(vm, cpumask, _bits(vm, cpumask) & ~(1 << cpu))


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_test_cpu(vm, cpu, cpumask):
    return int(_valid(cpu) and bool(_bits(vm, cpumask) >> cpu & 1))


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_test_and_set_cpu(vm, cpu, cpumask):
    if not _valid(cpu):
        return 0
    old = _bits(vm, cpumask)
    _set_bits(vm, cpumask, old | 1 << cpu)
    return old >> cpu & 1


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_test_and_clear_cpu(vm, cpu, cpumask):
    if not _valid(cpu):
        return 0
    old = _bits(vm, cpumask)
    _set_bits(vm, cpumask, old & ~(1 << cpu))
    return old >> cpu & 1


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_setall(vm, cpumask):
    _set_bits(vm, cpumask, ALL)


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_clear(vm, cpumask):
    _set_bits(vm, cpumask, 0)


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_and(vm, dst, src1, src2):
    v = _bits(vm, src1) & _bits(vm, src2)
    _set_bits(vm, dst, v)
    return int(v != 0)


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_or(vm, dst, src1, src2):
    _set_bits(vm, dst, _bits(vm, src1) | _bits(vm, src2))


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_xor(vm, dst, src1, src2):
    _set_bits(vm, dst, _bits(vm, src1) ^ _bits(vm, src2))


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_equal(vm, src1, src2):
    return int(_bits(vm, src1) == _bits(vm, src2))


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_intersects(vm, src1, src2):
    return int(_bits(vm, src1) & _bits(vm, src2) != 0)


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_subset(vm, src1, src2):
    return int(_bits(vm, src1) & ~_bits(vm, src2) == 0)


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_empty(vm, cpumask):
    return int(_bits(vm, cpumask) == 0)


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_full(vm, cpumask):
    return int(_bits(vm, cpumask) == ALL)


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_copy(vm, dst, src):
    _set_bits(vm, dst, _bits(vm, src))


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_any_distribute(vm, cpumask):
    """cpumask_any_distribute: some set CPU (the first, on one CPU), nr_cpu_ids if none."""
    return _first(_bits(vm, cpumask))


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_any_and_distribute(vm, src1, src2):
    return _first(_bits(vm, src1) & _bits(vm, src2))


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_weight(vm, cpumask):
    return bin(_bits(vm, cpumask)).count("1")



EACCES = 13
BITMAP_SIZE = 8 * ((NR_CPU_IDS + 63) // 64)     # bitmap_size(nr_cpu_ids)


@CPUMASK.kfunc("KF_RCU")
def bpf_cpumask_populate(vm, cpumask, src, src__sz):
    """Since 6.16: copy nr_cpu_ids bits from ``src`` (-EACCES if it is shorter than that)."""
    if src__sz < BITMAP_SIZE:
        return -EACCES
    _set_bits(vm, cpumask, load(vm, src, 8))
    return 0


__all__ = ["KFUNC_SETS", "current_task", "root_cgroup"]
