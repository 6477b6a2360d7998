"""What libbpf hands ``BPF_PROG_LOAD`` for one program: the :class:`verifier.VerifierInput`.

libbpf's ``bpf_object__load_progs`` counterpart: the linked instructions with kfunc calls
bound to the kernel's BTF ids, the program type from the SEC() name, expected attach type,
license, the object's BTF with func_info/line_info recomputed for the linked layout, and one
map descriptor per ``Object.map_table`` entry (BTF-defined ``.maps`` decoded like libbpf's
``parse_btf_map_def``; global data sections as single-element array maps, ``.rodata``
read-only and frozen).  The mock kernel (:mod:`pipeline.kernel`) reaches the verifier only as
plain data (its BTF, kfunc flags and program types).
"""

from __future__ import annotations

import struct
from dataclasses import replace
from pathlib import Path

from btf import Btf, BtfError, Type
from btf import kinds as L
from btf.kernel import check_compatible
from isa import opcodes as op
from isa.uapi import MAP_TYPE_NAMES, PROG_FLAGS
from verifier import LineInfo, MapDesc, VerifierInput

from . import struct_ops
from .errors import REJECTED, UserError
from .prog_types import match_section

# libbpf's SEC() -> expected_attach_type for the types whose verdict depends on it
_ATTACH = {"cgroup_skb/egress": "cgroup_inet_egress", "cgroup_skb/ingress": "cgroup_inet_ingress",
           "xdp/devmap": "xdp_devmap", "xdp.frags/devmap": "xdp_devmap",
           "xdp/cpumap": "xdp_cpumap", "xdp.frags/cpumap": "xdp_cpumap",
           **{f"cgroup/{hook}{v}": f"cgroup_{fam}{v}_{kind}"
              for hook, fam, kind in (("bind", "inet", "bind"), ("connect", "inet", "connect"),
                                      ("getpeername", "inet", "getpeername"),
                                      ("getsockname", "inet", "getsockname"))
              for v in ("4", "6")},
           **{f"cgroup/{hook}{v}": f"cgroup_udp{v}_{hook}"
              for hook in ("sendmsg", "recvmsg") for v in ("4", "6")},
           **{f"cgroup/{hook}_unix": f"cgroup_unix_{hook}"
              for hook in ("connect", "sendmsg", "recvmsg", "getpeername", "getsockname")},
           "cgroup/post_bind4": "cgroup_inet4_post_bind",
           "cgroup/post_bind6": "cgroup_inet6_post_bind",
           "cgroup/sock": "cgroup_inet_sock_create",
           "cgroup/sock_create": "cgroup_inet_sock_create",
           "cgroup/sock_release": "cgroup_inet_sock_release",
           "cgroup/getsockopt": "cgroup_getsockopt", "cgroup/setsockopt": "cgroup_setsockopt",
           "cgroup/dev": "cgroup_device", "cgroup/sysctl": "cgroup_sysctl",
           "sockops": "cgroup_sock_ops", "sk_lookup": "sk_lookup"}

# BTF-attached tracing programs: the SEC() prefix names the attach type
_TRACING_ATTACH = {"iter": "trace_iter", "iter.s": "trace_iter", "fentry": "trace_fentry",
                   "fentry.s": "trace_fentry", "fexit": "trace_fexit", "fexit.s": "trace_fexit",
                   "fmod_ret": "modify_return", "fmod_ret.s": "modify_return",
                   "tp_btf": "trace_raw_tp"}

BPF_F_RDONLY_PROG = 1 << 7
BPF_F_SLEEPABLE = PROG_FLAGS["BPF_F_SLEEPABLE"]
BPF_F_MMAPABLE = 1 << 10


def build_input(obj, prog, *, kernel=None, prog_flags: int = 0, data_values=None) -> VerifierInput:
    """The VerifierInput libbpf would hand the kernel for ``prog`` of ``obj``
    (a :class:`pipeline.bpf_object.Object`).

    ``kernel``: the mock kernel registry (default: built-in, only when kfuncs are called);
    ``prog_flags``: BPF_PROG_LOAD's ``prog_flags`` (e.g. BPF_F_TEST_STATE_FREQ);
    ``data_values``: global data section name -> contents to load instead of the object's
    (what a skeleton writes before load: a frozen .rodata's contents are constants)."""
    check_loadable(obj, prog)
    btf, ext = obj.btf, obj.btf_ext
    linked = obj.linked(prog, kernel)
    maps = obj.maps
    if data_values:
        maps = [replace(m, initial_value=data_values[m.name])
                if m.kind == "data" and m.name in data_values else m for m in maps]
    func_info, line_info = [], []
    if ext is not None:
        for f in prog.elf.functions:
            fi = ext.func_info_at(f.section, f.sec_offset // 8) if f.sec_offset % 8 == 0 else None
            if fi is not None:
                func_info.append((f.start, fi.type_id))
            base = f.sec_offset // 8
            for li in ext.line_info_in(f.section, base, base + f.length):
                line_info.append(LineInfo(f.start + li.insn - base, li.line, li.file_name,
                                          li.line_num, li.column))
        if len(func_info) != len(prog.functions):
            func_info = []
    btf = _hidden_subprogs_static(obj.elf, btf)
    sec = prog.section.lstrip("?")
    insns = list(linked.insns)
    typed = set(_typed_ksyms(obj, prog))
    for r in prog.elf.relocs:
        if r.kind == "ksym" and r.name in typed:
            # libbpf loads a typed kernel variable as a BPF_PSEUDO_BTF_ID ld_imm64 (kernel
            # variables are not modelled: the verifier refuses it) rather than the constant 0
            insns[r.insn] = replace(insns[r.insn], src=op.PSEUDO_BTF_ID)
    inp = VerifierInput(insns=insns, prog_type=prog.type or "socket_filter",
                        maps=list(maps), license=obj.elf.license or "", name=prog.name, btf=btf,
                        func_info=func_info, line_info=line_info,
                        expected_attach_type=_ATTACH.get(sec) or _TRACING_ATTACH.get(
                            sec.split("/", 1)[0] if prog.type == "tracing" else ""),
                        attach=prog.attach)
    sec_def = match_section(prog.section)
    inp.prog_flags = prog_flags | (BPF_F_SLEEPABLE if sec_def and sec_def.sleepable else 0)
    inp.target_btf = _kernel_target(obj, prog, sec)
    if prog.type == "struct_ops":
        # libbpf: attach_btf_id / expected_attach_type from the struct_ops map's member
        use = struct_ops.program_uses(obj).get(prog.name)
        inp.struct_ops = struct_ops.kernel_member(obj, prog, use, inp.target_btf)
        inp.expected_attach_type = f"{use.type_name}:{use.member}"
    inp.map_fds = False         # relocated map references are BPF_PSEUDO_MAP_IDX*
    if linked.kernel is not None:
        # what libbpf and the kernel add for kfunc calls: each .ksyms extern checked against
        # the kernel prototype, and the verifier gets that BTF, the KF_* flags and each
        # kfunc's program types as plain data (it does not import the mock kernel)
        _check_externs(btf, linked.kernel.kernel, prog, set(linked.kfuncs.values()))
        inp.kfuncs = dict(linked.kfuncs)
        inp.kernel_btf = linked.kernel.kernel
        inp.kfunc_prog_types = linked.kernel.kfunc_prog_types()
    return inp


def _kernel_target(obj, prog, sec: str):
    """The target BTF (the kernel the object is loaded for; None: the mock kernel) that
    types kernel objects and tp_btf/iter contexts; without one the verifier refuses tp_btf
    and iter programs by name.  libbpf finds attach targets in the running kernel's BTF even
    when a custom BTF file serves CO-RE: a target file without the program's attach target
    gives way to /sys/kernel/btf/vmlinux."""
    from .load_time import VMLINUX, target_kernel_btf
    kbtf = target_kernel_btf(obj.target_btf)
    kind = sec.split("/", 1)[0].removesuffix(".s")
    if kbtf is None or prog.type != "tracing" or kind not in ("tp_btf", "iter"):
        return kbtf
    name = ("btf_trace_" if kind == "tp_btf" else "bpf_iter_") + (prog.attach or "")
    if not kbtf.find(name) and Path(VMLINUX).exists():
        vm = target_kernel_btf("vmlinux")
        if vm.find(name):
            return vm
    return kbtf


def _hidden_subprogs_static(elf, btf):
    """libbpf (bpf_object__sanitize_and_load_btf): a global ``.text`` subprogram of hidden
    or internal visibility (``__hidden``, as usdt.bpf.h's) gets a static BTF FUNC, so the
    kernel verifies it with its caller's context instead of on its own."""
    if btf is None:
        return btf
    names = {s.name for s in elf.symbols if s.type == "FUNC" and s.section == ".text"
             and s.bind in ("GLOBAL", "WEAK") and s.visibility in ("HIDDEN", "INTERNAL")}
    if not names:
        return btf
    types = list(btf.types)
    for i, t in enumerate(types):
        if t.kind == L.FUNC and t.vlen == 1 and t.name in names:
            names.discard(t.name)           # libbpf: the first global FUNC of that name
            types[i] = Type(t.id, t.kind, t.name, t.name_off, t.info & ~0xFFFF, t.size_type,
                            t.extra, t.raw, t.offset, t._names)
    return Btf(types, btf.strings, btf.endian, btf.section)


def check_loadable(obj, prog) -> None:
    """What libbpf refuses in ``bpf_object_load_prog`` before ``BPF_PROG_LOAD``: a program
    whose SEC() name matches no section definition has no program type (only this program
    is refused: the object's others still load on their own)."""
    if prog.type is None:
        raise UserError("elf", f"{obj.path}: prog '{prog.name}': missing BPF prog type, check "
                               f"ELF section name '{prog.section.removeprefix('?')}'",
                        f"{obj.path}:{prog.section}", REJECTED)


def _typed_ksyms(obj, prog) -> list[str]:
    """The strong ``extern const T name __ksym;`` variables (a VAR of a non-void type in the
    ``.ksyms`` DATASEC) whose address ``prog`` loads.  Typeless ones (``const void``) are
    plain addresses (libbpf: from kallsyms) and weak ones may be absent (then 0)."""
    names = {r.name for r in prog.elf.relocs if r.kind == "ksym"}
    btf = obj.btf if names else None
    if btf is None:
        return []
    weak = {e.name for e in obj.elf.externs if e.weak}
    out = []
    for sec in btf.find(".ksyms", L.DATASEC):
        for vs in sec.secinfos:
            var = btf.type(vs.type)
            if var.kind == L.VAR and var.name in names and var.name not in weak \
                    and btf.resolve(var.type).kind != L.UNKN:
                out.append(var.name)
    return sorted(out)


def _check_externs(btf, kernel, prog, called: set[str]) -> None:
    """libbpf's check of each called ``.ksyms`` extern against the kernel's
    prototype (bpf_core_types_are_compat): a mismatch fails the load."""
    if btf is None:
        return
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


def map_descs(elf, btf) -> list:
    """One :class:`verifier.MapDesc` per entry of the loaded object's ``map_table``."""
    out = []
    data = {d.name: d for d in elf.data_sections}
    btf_maps = _btf_map_defs(btf) if btf is not None else {}
    for ref in elf.map_table:
        if ref.kind == "data":
            d = data[ref.name]
            ro = d.kind == "rodata"
            sec = _datasec(btf, ref.name)
            value_vars = _datasec_vars(btf, sec, d)
            out.append(MapDesc(name=ref.name, map_type="array", key_size=4,
                               value_size=d.size, max_entries=1,
                               flags=(BPF_F_RDONLY_PROG if ro else 0) | BPF_F_MMAPABLE,
                               frozen=ro, initial_value=d.data or bytes(d.size), kind="data",
                               has_btf=sec is not None,
                               value_fields=_datasec_fields(btf, value_vars),
                               value_btf=value_vars))
        elif ref.kind == "btf":
            m = btf_maps.get(ref.name)
            out.append(_with_value_btf(btf, m) if m is not None
                       else MapDesc(ref.name, "unspec", 0, 0, 0))
        else:
            m = next((x for x in elf.legacy_maps if x.name == ref.name), None)
            out.append(_legacy_map(ref.name, m.data if m else b""))
    return out


def _with_value_btf(btf, desc):
    """``desc`` with the value's type in the program BTF (``value_btf``; the verifier reads
    its special fields there: verifier.local_obj), and so its inner map template's."""
    def value_of(st):
        for mem in st.members:
            mt = btf.resolve(mem.type)
            if mem.name == "value" and mt.kind == L.PTR:
                return ((mt.type, 0, 0),)
        return ()

    def values_struct(st):
        for mem in st.members:
            mt = btf.resolve(mem.type)
            if mem.name == "values" and mt.kind == L.ARRAY:
                ptr = btf.resolve(mt.array[0])
                inner = btf.resolve(ptr.type) if ptr.kind == L.PTR else None
                return inner if inner is not None and inner.kind == L.STRUCT else None
        return None

    var = next((v for sec in btf.find(".maps", L.DATASEC) for v in
                (btf.type(vs.type) for vs in sec.secinfos)
                if v.kind == L.VAR and v.name == desc.name), None)
    st = btf.resolve(var.type) if var is not None else None
    if st is None or st.kind != L.STRUCT:
        return desc
    inner = desc.inner
    ist = values_struct(st)
    if inner is not None and ist is not None:
        inner = replace(inner, value_btf=value_of(ist))
    return replace(desc, value_btf=value_of(st), inner=inner)


def _datasec(btf, name: str):
    """The DATASEC libbpf gives a global-data map as its BTF value type, if any."""
    if btf is None:
        return None
    return next(iter(btf.find(name, L.DATASEC)), None)


def _datasec_vars(btf, sec, d) -> tuple:
    """(VAR type id, offset in the section, VAR id) of a data section's variables.  The
    object's DATASEC offsets are 0 until libbpf's btf_fixup_datasec sets them from the
    symbol table, as this does."""
    if sec is None:
        return ()
    offs = {s.name: s.value for s in d.symbols if s.name}
    out = []
    for vs in sec.secinfos:
        var = btf.type(vs.type)
        if var.kind == L.VAR:
            out.append((var.type, offs.get(var.name, vs.offset), var.id))
    return tuple(out)


def _datasec_fields(btf, value_vars) -> tuple:
    """Special fields (bpf_spin_lock, bpf_timer, ...) among a data section's variables, at
    their offsets in the section (kernel: btf_parse_fields on a DATASEC value)."""
    out = []
    for tid, off, _ in value_vars:
        out.extend(_special_fields(btf, tid, off, 0))
    return tuple(out)


def _legacy_map(name: str, body: bytes):
    vals = struct.unpack_from("<5I", body.ljust(20, b"\0"))
    return MapDesc(name, MAP_TYPE_NAMES.get(vals[0], "unspec"), vals[1], vals[2], vals[3], vals[4])


LIBBPF_PIN_NONE, LIBBPF_PIN_BY_NAME = 0, 1     # enum libbpf_pin_type


def check_btf_maps(path: str, btf) -> None:
    """What ``bpf_object__open`` refuses in the object's BTF-defined maps (an invalid
    ``pinning`` value), as a one-line error naming ``path`` and the map."""
    _btf_map_defs(btf, path)


def _btf_map_defs(btf, path: str | None = None) -> dict:
    """Decode ``struct { __uint(type, ..); __type(key, ..); ... } name SEC(".maps")``."""
    out = {}
    for sec in btf.find(".maps", L.DATASEC):
        for vs in sec.secinfos:
            var = btf.type(vs.type)
            if var.kind != L.VAR:
                continue
            st = btf.resolve(var.type)
            if st.kind != L.STRUCT:
                continue
            out[var.name] = _btf_map_def(btf, st, var.name, path, 0)
    return out


def _btf_map_def(btf, st, name: str, path: str | None, depth: int) -> MapDesc:
    """One map definition struct (libbpf: parse_btf_map_def); ``__array(values, struct
    {...})`` of a map-in-map is its inner map's template (libbpf names it
    ``outer.inner``; the kernel keeps it as ``inner_map_meta``)."""
    vals = {"key_size": 0, "value_size": 0, "max_entries": 0, "map_flags": 0, "type": 0}
    inner = None
    fields = ()
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
                if m.name == "value":
                    fields = tuple(_special_fields(btf, mt.type, 0, 0))
        elif m.name == "values" and depth == 0 and mt.kind == L.ARRAY:
            # __array(values, struct inner) is `typeof(struct inner) *values[]`
            ptr = btf.resolve(mt.array[0])
            inner_st = btf.resolve(ptr.type) if ptr.kind == L.PTR else None
            if inner_st is not None and inner_st.kind == L.STRUCT:
                inner = replace(_btf_map_def(btf, inner_st, f"{name}.inner", path, depth + 1),
                                name="")     # the kernel's inner_map_meta is unnamed
    if vals.get("pinning", 0) not in (LIBBPF_PIN_NONE, LIBBPF_PIN_BY_NAME):
        # libbpf's parse_btf_map_def: bpf_object__open fails on the whole object
        where = f"{path}: " if path else ""
        raise UserError("elf", f"{where}map '{name}': invalid pinning value "
                               f"{vals['pinning']}.", path, REJECTED)
    map_type = MAP_TYPE_NAMES.get(vals["type"], "unspec")
    if inner is not None and map_type in ("array_of_maps", "hash_of_maps"):
        vals["value_size"] = 4          # libbpf: an inner map's fd
    return MapDesc(name=name, map_type=map_type,
                   key_size=vals["key_size"], value_size=vals["value_size"],
                   max_entries=vals["max_entries"], flags=vals["map_flags"],
                   inner=inner, has_btf=True, value_fields=fields)


_SPECIAL = {"bpf_spin_lock": 4, "bpf_timer": 16, "bpf_wq": 16, "bpf_res_spin_lock": 4,
            "bpf_list_head": 16, "bpf_rb_root": 16, "bpf_refcount": 4, "bpf_task_work": 8}


def _special_fields(btf, tid: int, base: int, depth: int):
    """kernel: btf_parse_fields - special kernel objects inside a map value
    (searched through nested structs and arrays)."""
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


