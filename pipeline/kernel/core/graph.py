"""Local objects and BPF graphs: bpf_obj_new/drop, refcount, linked lists, rbtrees; flags and program types.

kernel/bpf/helpers.c registers these in ``generic_btf_ids`` (``generic_kfunc_set``)
for tracing, sched_cls, xdp, struct_ops, syscall and cgroup_skb programs, with
the flags below (``BTF_ID_FLAGS``).  Prototypes are in graph.c beside this file
(included by kfuncs.c); the verifier's side is verifier/graph.py.

Run-time model (kernel/bpf/helpers.c): ``bpf_obj_new_impl`` allocates a zeroed object of
the program-BTF struct its type id names (the kernel's load-time fixup turns that id into
the size; here the run's object answers), ``bpf_obj_drop_impl`` drops a reference (the
object and the nodes of the lists it holds go with the last one), ``bpf_refcount_acquire_impl``
takes one, and a ``bpf_list_head`` is the list of node addresses pushed at that address
(the kernel's list links live in the node; pushing a node that is already in a list drops
the reference and fails with -EINVAL, as ``__bpf_list_add`` does).  The rbtree kfuncs call
the program's ``less`` callback from the kernel, which the mock kernel cannot do: a run that
reaches one stops with :class:`KernelError` naming it.
"""

from __future__ import annotations

from ..registry import KernelError
from .sets import generic_set
from ..state import KernelState

EINVAL = 22

GENERIC = generic_set()                                # kernel/bpf/helpers.c (sets.py)


class _Graphs:
    """The run's allocated objects (address -> [size, refcount]) and list heads."""

    def __init__(self):
        self.objs: dict[int, list[int]] = {}
        self.lists: dict[int, list[int]] = {}     # head address -> node addresses, front first
        self.owner: dict[int, int] = {}           # node address -> head address
        self.count = 0

    def obj_of(self, addr: int) -> int:
        for base, (size, _) in self.objs.items():
            if base <= addr < base + size:
                return base
        raise KernelError(f"address {addr:#x} is not an object of bpf_obj_new")


def _graphs(vm) -> _Graphs:
    st = KernelState.of(vm)
    g = getattr(st, "graphs", None)
    if g is None:
        g = _Graphs()
        st.graphs = g
    return g


def _no_run(name: str):
    raise KernelError(f"kfunc {name}: no run-time model in the mock kernel (the rbtree's "
                      f"'less' callback runs inside the kernel)")


def _drop(vm, g: _Graphs, p: int) -> None:
    """kernel: __bpf_obj_drop_impl - the last reference frees the object and what its
    list heads hold."""
    ent = g.objs.get(p)
    if ent is None:
        raise KernelError(f"bpf_obj_drop_impl({p:#x}): not an object of bpf_obj_new")
    ent[1] -= 1
    if ent[1] > 0:
        return
    size = ent[0]
    del g.objs[p]
    for head in [h for h in g.lists if p <= h < p + size]:
        for node in g.lists.pop(head):
            g.owner.pop(node, None)
            _drop(vm, g, g.obj_of(node))
    vm.memory.write(p, bytes(size))


@GENERIC.kfunc("KF_ACQUIRE", "KF_RET_NULL")
def bpf_obj_new_impl(vm, local_type_id__k, meta__ign):
    st = KernelState.of(vm)
    obj = getattr(st, "obj", None)
    btf = getattr(obj, "btf", None)
    if btf is None:
        raise KernelError("bpf_obj_new_impl: the run has no program BTF for the type id")
    t = btf.types[local_type_id__k] if 0 < local_type_id__k < len(btf.types) else None
    if t is None or not t.size:
        raise KernelError(f"bpf_obj_new_impl: type id {local_type_id__k} is not a struct")
    g = _graphs(vm)
    g.count += 1
    base = vm.memory.map(f"kernel:obj_new#{g.count}", bytearray(t.size)).base
    g.objs[base] = [t.size, 1]
    return base


@GENERIC.kfunc("KF_RELEASE")
def bpf_obj_drop_impl(vm, p__alloc, meta__ign):
    _drop(vm, _graphs(vm), p__alloc)


@GENERIC.kfunc("KF_ACQUIRE", "KF_RET_NULL", "KF_RCU")
def bpf_refcount_acquire_impl(vm, p__refcounted_kptr, meta__ign):
    ent = _graphs(vm).objs.get(p__refcounted_kptr)
    if ent is None or ent[1] <= 0:       # refcount_inc_not_zero failed
        return 0
    ent[1] += 1
    return p__refcounted_kptr


def _push(vm, head: int, node: int, front: bool) -> int:
    g = _graphs(vm)
    if node in g.owner:                  # already in a list: the reference is dropped
        _drop(vm, g, g.obj_of(node))
        return -EINVAL
    lst = g.lists.setdefault(head, [])
    lst.insert(0, node) if front else lst.append(node)
    g.owner[node] = head
    return 0


def _pop(vm, head: int, back: bool) -> int:
    g = _graphs(vm)
    lst = g.lists.get(head)
    if not lst:
        return 0
    node = lst.pop() if back else lst.pop(0)
    g.owner.pop(node, None)
    return node


@GENERIC.kfunc()
def bpf_list_push_front_impl(vm, head, node, meta__ign, off):
    return _push(vm, head, node, True)


@GENERIC.kfunc()
def bpf_list_push_back_impl(vm, head, node, meta__ign, off):
    return _push(vm, head, node, False)


@GENERIC.kfunc("KF_ACQUIRE", "KF_RET_NULL")
def bpf_list_pop_front(vm, head):
    return _pop(vm, head, False)


@GENERIC.kfunc("KF_ACQUIRE", "KF_RET_NULL")
def bpf_list_pop_back(vm, head):
    return _pop(vm, head, True)


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
