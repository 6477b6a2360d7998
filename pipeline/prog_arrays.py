"""Prog arrays and tail calls of a run: which program each slot holds, and ``bpf_tail_call``.

Kernel counterparts: libbpf's ``bpf_object__collect_map_relos`` + ``init_prog_array_slots``
(a BTF-defined ``BPF_MAP_TYPE_PROG_ARRAY`` whose ``.values = { [i] = &prog }`` initialiser is
an ``R_BPF_64_ABS64`` relocation in ``.maps``, at ``values``' offset + 8 i), the map update a
loader does (``prog_array=`` of :func:`pipeline.run`, ``--prog-array MAP=IDX:PROG``), and
``bpf_tail_call`` (:func:`pipeline.kernel.helpers.tail_call`; kernel/bpf/core.c ``___bpf_prog_run`` ``JMP_TAIL_CALL``, the x86 JIT's
``emit_bpf_tail_call_indirect``): an index out of range or an empty slot falls through, at
most :data:`MAX_TAIL_CALL_CNT` tail calls succeed per run, and a successful one replaces the
calling function: it returns what the target program returned (from a subprogram, to the
subprogram's caller).  Every target is verified and JITed like the entry program
(:func:`pipeline.run` prepares them); the executors load them next to it and expose their
entry addresses as ``vm.programs``.
"""

from __future__ import annotations

from .errors import BAD_INPUT, UserError
from .kernel.helpers import MAX_TAIL_CALL_CNT  # noqa: F401 - re-exported


def initialisers(obj, map_types=("prog_array",)) -> dict[str, dict[int, str]]:
    """``{map: {index: program}}`` from the object's ``.maps`` relocations (libbpf's
    ``.values = { [i] = &prog }`` of a BTF-defined prog array; with ``map_types`` the
    array/hash of maps, ``{outer: {index: inner map}}``: libbpf's init_map_in_map_slots)."""
    elf, btf = obj.elf, obj.btf
    rels = elf.relocations.get(".maps", [])
    if not rels or btf is None:
        return {}
    values_off = _values_offsets(btf)
    types = {d.name: d.map_type for d in obj.maps}
    out: dict[str, dict[int, str]] = {}
    for r in rels:
        m = next((d for d in elf.maps if d.offset <= r.offset < d.offset + d.size), None)
        if m is not None and types.get(m.name) not in map_types:
            continue            # another kind of map's initialisers
        if m is None or m.name not in values_off:
            raise UserError("elf", f"{obj.path}: .maps relocation at {r.offset:#x} is not in "
                                   "a map's 'values' initialiser", obj.path, BAD_INPUT)
        rel = r.offset - m.offset - values_off[m.name]
        if rel < 0 or rel % 8:
            raise UserError("elf", f"{obj.path}: map {m.name}: relocation at {r.offset:#x} is "
                                   "not a slot of 'values'", obj.path, BAD_INPUT)
        out.setdefault(m.name, {})[rel // 8] = r.symbol.name
    return out


def _values_offsets(btf) -> dict[str, int]:
    """Byte offset of the ``values`` member of each BTF-defined map."""
    return {name: mem.bits_offset // 8 for name, st in btf.map_structs()
            for mem in st.members if mem.name == "values"}


def resolve(obj, prog, given: dict | None) -> dict[str, dict[int, str]]:
    """The prog arrays of a run: the object's initialisers, then ``given``
    (``{map: {index: program name}}``; ``None`` as a program empties the slot), checked
    as the kernel's map update checks them (a prog array, index < max_entries, a program
    of the same type)."""
    arrays = {k: dict(v) for k, v in initialisers(obj).items()}
    for name, slots in (given or {}).items():
        arrays.setdefault(name, {}).update(slots)
    descs = {d.name: d for d in obj.maps}
    for name, slots in arrays.items():
        d = descs.get(name)
        if d is None:
            raise UserError("usage", f"prog array: no map named '{name}'", None, BAD_INPUT)
        if d.map_type != "prog_array":
            raise UserError("usage", f"prog array: map {name} is a {d.map_type} map, not a "
                                     "prog_array", None, BAD_INPUT)
        for idx, target in list(slots.items()):
            if not isinstance(idx, int) or not 0 <= idx < d.max_entries:
                raise UserError("usage", f"prog array {name}: index {idx} is out of range "
                                         f"(max_entries {d.max_entries})", None, BAD_INPUT)
            if target is None:
                del slots[idx]
                continue
            tp = obj.program(target)
            if (tp.type or "socket_filter") != (prog.type or "socket_filter"):
                raise UserError("usage", f"prog array {name}[{idx}]: program {tp.name} is "
                                         f"{tp.type}, the run's program {prog.name} is "
                                         f"{prog.type}", None, BAD_INPUT)
            slots[idx] = tp.name
    return {k: v for k, v in arrays.items() if v}


def targets(arrays: dict[str, dict[int, str]], entry: str) -> list[str]:
    """The programs a run must load besides ``entry``, in first-mention order."""
    out = []
    for slots in arrays.values():
        for _, name in sorted(slots.items()):
            if name != entry and name not in out:
                out.append(name)
    return out


def parse_cli(items: list[str]) -> dict[str, dict[int, str]]:
    """``--prog-array MAP=IDX:PROG`` (repeatable) as ``{map: {idx: prog}}``."""
    out: dict[str, dict[int, str]] = {}
    for item in items:
        name, eq, rest = item.partition("=")
        idx, colon, prog = rest.partition(":")
        try:
            i = int(idx, 0)
        except ValueError:
            i = None
        if not eq or not colon or not name or not prog or i is None:
            raise UserError("usage", f"--prog-array expects MAP=IDX:PROG, got {item!r}", None,
                            BAD_INPUT)
        out.setdefault(name.strip(), {})[i] = prog.strip()
    return out
