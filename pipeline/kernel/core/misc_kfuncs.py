"""Kfuncs the mock kernel verifies but never runs: map and socket iterators, user memory.

Kernel counterparts: kernel/bpf/map_iter.c (``bpf_map_iter_kfunc_ids``, registered for
every program type), net/core/filter.c (``bpf_sk_iter_kfunc_ids``: tracing programs, and
its filter admits iterators only - :mod:`verifier.kfunc_call` applies it) and
kernel/bpf/helpers.c (``bpf_copy_from_user_str`` in ``common_btf_ids``, KF_SLEEPABLE).
Prototypes are in misc_kfuncs.c.  Map iterators and socket iterators are tracing programs,
which do not run here; a syscall program calling bpf_copy_from_user_str would read a user
address space the mock kernel does not have, so each refuses at run time by name.
"""

from __future__ import annotations

from ..registry import KernelError, KfuncSet
from .sets import common_set

MAP_ITER = KfuncSet("bpf_map_iter_kfunc_ids", module="vmlinux", prog_types={"unspec"})
SK_ITER = KfuncSet("bpf_sk_iter_kfunc_ids", module="vmlinux", prog_types={"tracing"})
COMMON = common_set()                                  # kernel/bpf/helpers.c (sets.py)
KFUNC_SETS = [MAP_ITER, SK_ITER, COMMON]


def _no_run(name: str, why: str):
    raise KernelError(f"kfunc {name}: no run-time model in the mock kernel ({why})")


@MAP_ITER.kfunc("KF_TRUSTED_ARGS")
def bpf_map_sum_elem_count(vm, map):
    _no_run("bpf_map_sum_elem_count", "kernel maps are reached from map iterators only")


@SK_ITER.kfunc("KF_TRUSTED_ARGS")
def bpf_sock_destroy(vm, sock):
    _no_run("bpf_sock_destroy", "there are no kernel sockets")


@COMMON.kfunc("KF_SLEEPABLE")
def bpf_copy_from_user_str(vm, dst, dst__sz, unsafe_ptr__ign, flags):
    _no_run("bpf_copy_from_user_str", "there is no user address space")
