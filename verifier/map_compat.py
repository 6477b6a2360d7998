"""Which maps a program of a given type may use at all (kernel: ``check_map_prog_compatibility``).

Linux checks each map a program references once, when ``resolve_pseudo_ldimm64`` first
records it in the program's used maps, before any instruction is verified: the special
objects inside the map's value (found by ``btf_parse_fields``, here
:attr:`verifier.MapDesc.value_fields`) decide whether tracing programs (kprobe,
tracepoint, perf_event, raw_tracepoint[_writable]: ``is_tracing_prog_type``) and socket
filters may use the map, and a struct_ops map is never usable from a program.  Messages
are the kernel's.
"""

from __future__ import annotations

from .errors import EINVAL, VerifierError

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
