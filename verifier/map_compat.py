"""Which maps a program of a given type may use at all (kernel: ``check_map_prog_compatibility``),
and which helpers a map may be passed to (kernel: ``check_map_func_compatibility``).

Linux checks each map a program references once, when ``resolve_pseudo_ldimm64`` first
records it in the program's used maps, before any instruction is verified: the special
objects inside the map's value (found by ``btf_parse_fields``, here
:attr:`verifier.MapDesc.value_fields`) decide whether tracing programs (kprobe,
tracepoint, perf_event, raw_tracepoint[_writable]: ``is_tracing_prog_type``) and socket
filters may use the map, and a struct_ops map is never usable from a program.  A helper
call checks its map argument against the helper (:func:`check_map_func_compatibility`,
after the call's other checks, as ``check_helper_call`` does).  Messages are the kernel's.
"""

from __future__ import annotations

from .errors import EINVAL, VerifierError
from .helpers import func_name

# kernel: is_tracing_prog_type
TRACING_PROG_TYPES = frozenset(("kprobe", "tracepoint", "perf_event", "raw_tracepoint",
                                "raw_tracepoint_writable"))


def _has(m, *kinds: str) -> bool:
    return any(f[0] in kinds for f in m.value_fields)


# kernel: the map types a sleepable program may use
SLEEPABLE_MAPS = frozenset(("hash", "lru_hash", "array", "percpu_hash", "percpu_array",
                            "lru_percpu_hash", "array_of_maps", "hash_of_maps", "ringbuf",
                            "user_ringbuf", "inode_storage", "sk_storage", "task_storage",
                            "cgrp_storage", "queue", "stack", "arena"))


def check_map_prog_compatibility(prog_type: str, m, sleepable: bool = False) -> None:
    """Raise the kernel's refusal when a ``prog_type`` program may not use map ``m``."""
    tracing = prog_type in TRACING_PROG_TYPES
    if tracing and _has(m, "bpf_list_head", "bpf_rb_root"):
        raise VerifierError("tracing progs cannot use bpf_{list_head,rb_root} yet", EINVAL)
    if _has(m, "bpf_spin_lock", "bpf_res_spin_lock"):
        if prog_type == "socket_filter":
            raise VerifierError("socket filter progs cannot use bpf_spin_lock yet", EINVAL)
        if tracing:
            raise VerifierError("tracing progs cannot use bpf_spin_lock yet", EINVAL)
    if tracing and _has(m, "bpf_timer"):
        raise VerifierError("tracing progs cannot use bpf_timer yet", EINVAL)
    if m.map_type == "struct_ops":
        raise VerifierError("bpf_struct_ops map cannot be used in prog", EINVAL)
    if sleepable and (m.map_type not in SLEEPABLE_MAPS
                      or (m.inner is not None and m.inner.map_type not in SLEEPABLE_MAPS)):
        # the live kernel's wording (6.12 stopped at "maps"): the inner map counts too
        raise VerifierError("Sleepable programs can only use array, hash, ringbuf and local "
                            "storage maps, also as inner maps", EINVAL)


# --- helpers and maps (kernel: check_map_func_compatibility) -----------------------------

_MAP_HELPERS = {
    "prog_array": {12},
    "array_of_maps": {1}, "hash_of_maps": {1},
    "perf_event_array": {25, 55, 41, 67, 111, 121},
    "ringbuf": {130, 131, 134, 198},
    "stack_trace": {27},
    "cgroup_array": {37, 41},
    "devmap": {51, 1}, "devmap_hash": {51, 1}, "cpumap": {51}, "xskmap": {51, 1},
    # map_update_elem/map_delete_elem (2, 3) only where may_update_sockmap says so
    "sockmap": {1, 52, 53, 60, 82}, "sockhash": {1, 70, 71, 72, 82},
    "cgroup_storage": {81}, "percpu_cgroup_storage": {81},
    "reuseport_sockarray": {82},
    # local storage: only its own get/delete helpers and bpf_kptr_xchg (194)
    "sk_storage": {107, 108, 194}, "inode_storage": {145, 146, 194},
    "task_storage": {156, 157, 194}, "cgrp_storage": {210, 211, 194},
    "queue": {87, 88, 89}, "stack": {87, 88, 89},
    "bloom_filter": {89, 87},
    "user_ringbuf": {209},
}
_FUNC_MAPS = {
    12: ("prog_array",), 25: ("perf_event_array",), 111: ("perf_event_array",),
    130: ("ringbuf",), 131: ("ringbuf",),
    134: ("ringbuf",), 198: ("ringbuf",), 51: ("devmap", "devmap_hash", "cpumap", "xskmap"),
    52: ("sockmap",), 53: ("sockmap",), 60: ("sockmap",),
    70: ("sockhash",), 71: ("sockhash",), 72: ("sockhash",),
    82: ("reuseport_sockarray", "sockmap", "sockhash"),
    81: ("cgroup_storage", "percpu_cgroup_storage"),
    107: ("sk_storage",), 108: ("sk_storage",), 156: ("task_storage",),
    157: ("task_storage",), 210: ("cgrp_storage",), 211: ("cgrp_storage",),
    87: ("queue", "stack", "bloom_filter"), 88: ("queue", "stack"), 89: ("queue", "stack",
                                                                          "bloom_filter"),
}


# program types whose sockets are never locked where the program runs: sockmap/sockhash
# entries may be updated and deleted there (kernel: may_update_sockmap)
_SOCKMAP_UPDATERS = frozenset({"socket_filter", "sched_cls", "sched_act", "xdp",
                               "sk_reuseport", "flow_dissector", "sk_lookup"})


def _may_update_sockmap(env, func_id: int) -> tuple[bool, tuple[str, ...]]:
    """(allowed, log lines): map_update_elem (2) / map_delete_elem (3) on a sockmap."""
    if func_id not in (2, 3):
        return False, ()
    pt = env.prog_type
    if (pt in _SOCKMAP_UPDATERS
            or (pt == "tracing" and env.inp.expected_attach_type == "trace_iter")
            or (pt == "sock_ops" and func_id == 3)):
        return True, ()
    return False, ("cannot update sockmap in this context",)


# (map type, helper id) pairs found compatible without asking the program type (a pure
# function of the tables above, filled as programs call)
MAP_FUNC_OK: set[tuple[str, int]] = set()


def check_map_func_compatibility(env, m, func_id: int) -> None:
    """kernel: check_map_func_compatibility - raise the kernel's refusal when map ``m``
    may not be passed to helper ``func_id`` (``env``: the program, for sockmap updates)."""
    if m is None:
        return
    allowed = _MAP_HELPERS.get(m.map_type)
    bad = allowed is not None and func_id not in allowed
    lines: tuple[str, ...] = ()
    by_prog_type = bad and m.map_type in ("sockmap", "sockhash")
    if by_prog_type:
        ok, lines = _may_update_sockmap(env, func_id)
        bad = not ok
    if not bad and func_id in _FUNC_MAPS and m.map_type not in _FUNC_MAPS[func_id]:
        bad = True
    if m.map_type in ("queue", "stack", "bloom_filter") and func_id in (1, 2, 3):
        bad = True
    if bad:
        raise VerifierError(f"cannot pass map_type {m.type_id} into func {func_name(func_id)}"
                            f"#{func_id}", EINVAL, lines)
    if not by_prog_type:
        MAP_FUNC_OK.add((m.map_type, func_id))
