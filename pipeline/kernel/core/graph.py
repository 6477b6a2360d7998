"""Local objects and BPF graphs: bpf_obj_new/drop, refcount, linked lists, rbtrees; flags and program types.

kernel/bpf/helpers.c registers these in ``generic_btf_ids`` (``generic_kfunc_set``)
for tracing, sched_cls, xdp, struct_ops, syscall and cgroup_skb programs, with
the flags below (``BTF_ID_FLAGS``).  Prototypes are in graph.c beside this file
(included by kfuncs.c).

The verifier models them fully (verifier/graph.py).  They have no run-time
model here: the kernel rewrites their arguments at load time (``fixup_kfunc_call``
turns the local type id into the object's size and ``meta__ign`` into the
struct's btf_struct_meta), which this pipeline does not do, so an
implementation could not know what to allocate.  Calling one raises
:class:`KernelError` naming the kfunc.
"""

from __future__ import annotations

from ..registry import KernelError, KfuncSet

# kernel/bpf/helpers.c generic_btf_ids
GENERIC = KfuncSet("generic_btf_ids", module="vmlinux",
                   prog_types={"tracing", "sched_cls", "xdp", "struct_ops", "syscall",
                               "cgroup_skb"})


def _no_run(name: str):
    raise KernelError(f"kfunc {name}: no run-time model in the mock kernel (local objects and "
                      f"BPF graphs are verified only)")


@GENERIC.kfunc("KF_ACQUIRE", "KF_RET_NULL")
def bpf_obj_new_impl(vm, local_type_id__k, meta__ign):
    _no_run("bpf_obj_new_impl")


@GENERIC.kfunc("KF_RELEASE")
def bpf_obj_drop_impl(vm, p__alloc, meta__ign):
    _no_run("bpf_obj_drop_impl")


@GENERIC.kfunc("KF_ACQUIRE", "KF_RET_NULL", "KF_RCU")
def bpf_refcount_acquire_impl(vm, p__refcounted_kptr, meta__ign):
    _no_run("bpf_refcount_acquire_impl")


@GENERIC.kfunc()
def bpf_list_push_front_impl(vm, head, node, meta__ign, off):
    _no_run("bpf_list_push_front_impl")


@GENERIC.kfunc()
def bpf_list_push_back_impl(vm, head, node, meta__ign, off):
    _no_run("bpf_list_push_back_impl")


@GENERIC.kfunc("KF_ACQUIRE", "KF_RET_NULL")
def bpf_list_pop_front(vm, head):
    _no_run("bpf_list_pop_front")


@GENERIC.kfunc("KF_ACQUIRE", "KF_RET_NULL")
def bpf_list_pop_back(vm, head):
    _no_run("bpf_list_pop_back")


@GENERIC.kfunc("KF_ACQUIRE", "KF_RET_NULL")
def bpf_rbtree_remove(vm, root, node):
    _no_run("bpf_rbtree_remove")


@GENERIC.kfunc()
def bpf_rbtree_add_impl(vm, root, node, less, meta__ign, off):
    _no_run("bpf_rbtree_add_impl")


@GENERIC.kfunc("KF_RET_NULL")
def bpf_rbtree_first(vm, root):
    _no_run("bpf_rbtree_first")


KFUNC_SETS = [GENERIC]
