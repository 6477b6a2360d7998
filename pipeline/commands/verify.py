"""``python -m pipeline verify FILE [--prog NAME] [--log-level 0|1|2] [--json]``.

Builds, for each program of the object (or the one named), the
:class:`verifier.VerifierInput` a ``BPF_PROG_LOAD`` would carry — as libbpf
prepares it: the linked instructions, the program type from the SEC() name,
expected attach type, license, BTF with func_info/line_info recomputed for
the linked layout, and one map descriptor per ``Object.map_table`` entry
(BTF-defined ``.maps`` decoded like libbpf's ``parse_btf_map_def``; global
data sections as single-element array maps, ``.rodata`` read-only and
frozen) — then runs the verifier and prints its log, or with ``--json``
``{"file", "programs": [{"prog", "accepted", "error", "processed_insns", ...}]}``.

Exit status 1 when any verified program is rejected.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import BAD_INPUT, REJECTED, UserError

# libbpf's SEC() -> expected_attach_type for the types whose verdict depends on it
_ATTACH = {"cgroup_skb/egress": "cgroup_inet_egress", "cgroup_skb/ingress": "cgroup_inet_ingress",
           "xdp/devmap": "xdp_devmap", "xdp.frags/devmap": "xdp_devmap",
           "xdp/cpumap": "xdp_cpumap", "xdp.frags/cpumap": "xdp_cpumap"}

BPF_F_RDONLY_PROG = 1 << 7
BPF_F_MMAPABLE = 1 << 10


def add_parser(subparsers):
    p = subparsers.add_parser("verify", help="run the BPF verifier on each program",
                              description="Verify the programs of a BPF object (or C source, "
                                          "compiled first) as the Linux verifier would.")
    p.add_argument("file", metavar="FILE", help="BPF ELF object, or C source to compile first")
    p.add_argument("--prog", metavar="NAME", help="only this program (function or section name)")
    p.add_argument("--log-level", type=int, choices=(0, 1, 2), default=1,
                   help="0: verdict only, 1: errors and statistics (default), 2: full trace")
    return p


def run(args) -> int:
    from verifier import verify

    from ..inputs import object_path
    from ..loader import load

    path = str(args.file)
    obj_path = object_path(path)
    obj = load(obj_path)
    btf_obj = _load_btf(obj)
    progs = obj.programs
    if args.prog:
        progs = [p for p in progs if args.prog in (p.name, p.section)]
        if not progs:
            names = ", ".join(p.name for p in obj.programs) or "none"
            raise UserError("usage", f"{path}: no program named '{args.prog}' (programs: {names})",
                            path, BAD_INPUT)
    results = []
    rejected = False
    for prog in progs:
        inp = build_input(obj, prog, btf_obj)
        v = verify(inp, args.log_level)
        rejected |= not v.accepted
        results.append((prog, v))
    if args.json:
        print(json.dumps({"file": path, "programs": [_json(p, v) for p, v in results]}))
    else:
        for prog, v in results:
            if len(results) > 1 or args.log_level:
                sys.stdout.write(f"== {prog.name} ({prog.section}, {prog.type or 'unknown'})\n")
            if args.log_level:
                sys.stdout.write(v.log)
            verdict = "accepted" if v.accepted else f"rejected: {v.error_line}"
            sys.stdout.write(f"{prog.name}: {verdict}\n")
    return REJECTED if rejected else 0


def _json(prog, v) -> dict:
    return {
        "prog": prog.name, "section": prog.section, "type": prog.type, "accepted": v.accepted,
        "error": None if v.error is None else {"message": v.error.message, "insn": v.error.insn,
                                               "subprog": v.error.subprog},
        "processed_insns": v.processed_insns, "max_states_per_insn": v.max_states_per_insn,
        "total_states": v.total_states, "peak_states": v.peak_states,
        "stack_depth": v.stack_depths,
        "subprogs": [s.__dict__ for s in v.subprogs],
        "kfunc_calls": {str(k): m for k, m in sorted(v.kfunc_calls.items())}, "log": v.log,
    }


# --- building the VerifierInput --------------------------------------------------------

def _load_btf(obj):
    if obj.btf is None:
        return None
    from btf import BtfError, parse_btf, parse_btf_ext
    try:
        b = parse_btf(obj.btf)
        ext = parse_btf_ext(obj.btf_ext, b) if obj.btf_ext is not None else None
    except BtfError:
        return None
    return b, ext


def build_input(obj, prog, btf_obj=None):
    """The VerifierInput libbpf would hand the kernel for ``prog``."""
    from verifier import LineInfo, VerifierInput

    if btf_obj is None:
        btf_obj = _load_btf(obj)
    btf, ext = btf_obj if btf_obj else (None, None)
    maps = map_descs(obj, btf)
    func_info, line_info = [], []
    if ext is not None:
        for f in prog.functions:
            for fi in ext.func_info.get(f.section, ()):
                if fi.insn * 8 == f.sec_offset:
                    func_info.append((f.start, fi.type_id))
                    break
            base = f.sec_offset // 8
            for li in ext.line_info.get(f.section, ()):
                if base <= li.insn < base + f.length:
                    line_info.append(LineInfo(f.start + li.insn - base, li.line, li.file_name,
                                              li.line_num, li.column))
        if len(func_info) != len(prog.functions):
            func_info = []
    sec = prog.section.lstrip("?")
    attach = _ATTACH.get(sec)
    inp = VerifierInput(insns=list(prog.insns), prog_type=prog.type or "socket_filter",
                        maps=maps, license=obj.license or "", name=prog.name, btf=btf,
                        func_info=func_info, line_info=line_info, expected_attach_type=attach,
                        attach=prog.attach)
    add_kernel(inp, prog)
    return inp


def add_kernel(inp, prog) -> None:
    """What libbpf and the kernel add for kfunc calls: each ``.ksyms`` call gets
    the kfunc's id in the mock kernel's BTF, and the verifier gets that BTF, the
    KF_* flags and the program types each kfunc is registered for (plain data:
    the verifier does not import the mock kernel).  An extern the mock kernel
    does not have is left unresolved (imm 0), which the verifier rejects."""
    relocs = [r for r in prog.relocs if r.kind == "kfunc"]
    if not relocs:
        return
    from ..kernel import KernelError, registry
    try:
        reg = registry()
    except Exception:  # noqa: BLE001 - no kernel BTF: the verifier says so
        return
    _check_externs(inp.btf, reg.kernel, prog, {r.name for r in relocs})
    insns = list(inp.insns)
    from dataclasses import replace
    names = {}
    for r in relocs:
        names[r.insn] = r.name
        try:
            insns[r.insn] = replace(insns[r.insn], imm=reg.kfunc(r.name).btf_id, off=0)
        except KernelError:
            pass
    inp.insns = insns
    inp.kfuncs = names
    inp.kernel_btf = reg.kernel
    inp.kfunc_prog_types = reg.kfunc_prog_types()


def _check_externs(btf, kernel, prog, called: set[str]) -> None:
    """libbpf's check of each called ``.ksyms`` extern against the kernel's
    prototype (bpf_core_types_are_compat): a mismatch fails the load."""
    if btf is None:
        return
    from btf import BtfError
    from btf import kinds as L
    from btf.kernel import check_compatible
    for name in sorted(called):
        ext = next((t for t in btf.find(name, L.FUNC) if t.vlen == 2), None)
        kfn = kernel.func(name)
        if ext is None or kfn is None:
            continue          # not found: the verifier rejects the call
        try:
            check_compatible(btf, ext.id, kernel.btf, kfn.id, name)
        except BtfError as e:
            raise UserError("kfunc", f"program {prog.name}: {e.args[0] if e.args else e}",
                            None, REJECTED) from None


def map_descs(obj, btf) -> list:
    from verifier import MapDesc

    out = []
    data = {d.name: d for d in obj.data_sections}
    btf_maps = _btf_map_defs(btf) if btf is not None else {}
    for ref in obj.map_table:
        if ref.kind == "data":
            d = data[ref.name]
            ro = d.kind == "rodata"
            out.append(MapDesc(name=ref.name, map_type="array", key_size=4,
                               value_size=d.size, max_entries=1,
                               flags=(BPF_F_RDONLY_PROG if ro else 0) | BPF_F_MMAPABLE,
                               frozen=ro, initial_value=d.data or bytes(d.size), kind="data"))
        elif ref.kind == "btf":
            out.append(btf_maps.get(ref.name) or MapDesc(ref.name, "unspec", 0, 0, 0))
        else:
            m = next((x for x in obj.legacy_maps if x.name == ref.name), None)
            out.append(_legacy_map(ref.name, m.data if m else b""))
    return out


def _legacy_map(name: str, body: bytes):
    import struct

    from verifier import MapDesc
    from verifier.input import MAP_TYPE_NAMES
    vals = struct.unpack_from("<5I", body.ljust(20, b"\0"))
    return MapDesc(name, MAP_TYPE_NAMES.get(vals[0], "unspec"), vals[1], vals[2], vals[3], vals[4])


def _btf_map_defs(btf) -> dict:
    """Decode ``struct { __uint(type, ..); __type(key, ..); ... } name SEC(".maps")``."""
    from btf import kinds as L

    from verifier import MapDesc
    from verifier.input import MAP_TYPE_NAMES
    out = {}
    for sec in btf.find(".maps", L.DATASEC):
        for vs in sec.secinfos:
            var = btf.type(vs.type)
            if var.kind != L.VAR:
                continue
            st = btf.resolve(var.type)
            if st.kind != L.STRUCT:
                continue
            vals = {"key_size": 0, "value_size": 0, "max_entries": 0, "map_flags": 0, "type": 0}
            inner = None
            for m in st.members:
                mt = btf.resolve(m.type)
                if m.name in ("type", "max_entries", "map_flags", "key_size", "value_size",
                              "numa_node", "pinning", "map_extra"):
                    # __uint(name, val) is `int (*name)[val]`
                    if mt.kind == L.PTR:
                        arr = btf.resolve(mt.type)
                        if arr.kind == L.ARRAY:
                            vals[m.name] = arr.array[2]
                elif m.name in ("key", "value"):
                    if mt.kind == L.PTR:
                        try:
                            vals[m.name + "_size"] = btf.size_of(mt.type)
                        except Exception:  # noqa: BLE001 - unsized: leave 0 like libbpf would fail
                            pass
                elif m.name == "values":
                    inner = None
            fields = ()
            for m in st.members:
                mt = btf.resolve(m.type)
                if m.name == "value" and mt.kind == L.PTR:
                    fields = tuple(_special_fields(btf, mt.type, 0, 0))
            out[var.name] = MapDesc(name=var.name,
                                    map_type=MAP_TYPE_NAMES.get(vals["type"], "unspec"),
                                    key_size=vals["key_size"], value_size=vals["value_size"],
                                    max_entries=vals["max_entries"], flags=vals["map_flags"],
                                    inner=inner, has_btf=True, value_fields=fields)
    return out


_SPECIAL = {"bpf_spin_lock": 4, "bpf_timer": 16, "bpf_wq": 16, "bpf_res_spin_lock": 4,
            "bpf_list_head": 16, "bpf_rb_root": 16, "bpf_refcount": 4, "bpf_task_work": 8}


def _special_fields(btf, tid: int, base: int, depth: int):
    """kernel: btf_parse_fields - special kernel objects inside a map value
    (searched through nested structs and arrays)."""
    from btf import kinds as L
    if depth > 8:
        return
    t = btf.resolve(tid)
    if t.kind in (L.STRUCT, L.UNION):
        if t.name in _SPECIAL:
            yield (t.name, base, _SPECIAL[t.name])
            return
        for m in t.members:
            yield from _special_fields(btf, m.type, base + m.bits_offset // 8, depth + 1)
    elif t.kind == L.ARRAY:
        elem, _, n = t.array
        if n:
            try:
                esz = btf.size_of(elem)
            except Exception:  # noqa: BLE001
                return
            for i in range(min(n, 64)):
                yield from _special_fields(btf, elem, base + i * esz, depth + 1)


def verify_file(path, prog: str | None = None, log_level: int = 1):
    """Library use: verify one program of an object; returns (VerifierInput, Verdict)."""
    from verifier import verify

    from ..loader import load
    obj = load(Path(path))
    p = obj.programs[0] if prog is None else next(
        x for x in obj.programs if prog in (x.name, x.section))
    inp = build_input(obj, p)
    return inp, verify(inp, log_level)
