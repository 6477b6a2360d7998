"""Which member of which kernel struct each struct_ops program implements, as libbpf finds it.

libbpf counterparts (tools/lib/bpf/libbpf.c): ``bpf_object__init_struct_ops`` (each
variable of a ``.struct_ops`` / ``.struct_ops.link`` section is a struct_ops map whose BTF
type names the kernel struct), ``bpf_object__collect_st_ops_relos`` (each relocation in
such a section stores a program into a function-pointer member) and
``bpf_map__init_kern_struct_ops`` (the kernel struct of the same name in the kernel's BTF;
each program's ``attach_btf_id`` is that struct and its ``expected_attach_type`` the index
of the member of the same name there).

The verifier's side (the member's prototype types the context, the struct's verifier ops)
is :mod:`verifier.struct_ops`; this module only reads the object.
"""

from __future__ import annotations

from dataclasses import dataclass

from btf import kinds as L

from .errors import REJECTED, UserError

SECTIONS = (".struct_ops", ".struct_ops.link")


@dataclass(frozen=True)
class StructOpsUse:
    """``map``'s member ``member`` (a function pointer of ``struct type_name``) is the
    program."""
    map: str
    type_name: str
    member: str


def program_uses(obj) -> dict[str, StructOpsUse]:
    """Program name -> the struct_ops member it implements (a program stored in several
    maps implements the same member of each, or libbpf refuses the object)."""
    elf, btf = obj.elf, obj.btf
    relocs = [r for s in SECTIONS for r in elf.relocations.get(s, ())]
    if not relocs or btf is None:
        return {}
    out: dict[str, StructOpsUse] = {}
    for r in relocs:
        var = next((s for s in elf.symbols if s.section == r.section and s.type == "OBJECT"
                    and s.value <= r.offset < s.value + s.size), None)
        if var is None:
            continue
        st = _struct_of(btf, r.section, var.name)
        if st is None:
            raise UserError("elf", f"{obj.path}: struct_ops map '{var.name}': no struct type "
                                   f"in the object's BTF", obj.path, REJECTED)
        member = next((m for m in st.members if m.bits_offset == (r.offset - var.value) * 8),
                      None)
        if member is None:
            raise UserError("elf", f"{obj.path}: struct_ops reloc {var.name}: cannot find "
                                   f"member at moff {r.offset - var.value}", obj.path, REJECTED)
        use = StructOpsUse(var.name, st.name, member.name)
        prev = out.get(r.symbol.name)
        if prev is not None and (prev.type_name, prev.member) != (use.type_name, use.member):
            raise UserError("elf", f"{obj.path}: struct_ops reloc {var.name}: cannot use prog "
                                   f"{r.symbol.name} for func ptr {member.name}: it implements "
                                   f"{prev.type_name}.{prev.member}", obj.path, REJECTED)
        out.setdefault(r.symbol.name, use)
    return out


def _struct_of(btf, section: str, var_name: str):
    for sec in btf.find(section, L.DATASEC):
        for vs in sec.secinfos:
            var = btf.type(vs.type)
            if var.kind == L.VAR and var.name == var_name:
                t = btf.resolve(var.type)
                return t if t.kind == L.STRUCT else None
    return None


def kernel_member(obj, prog, use: StructOpsUse | None, target) -> tuple[int, int]:
    """(the kernel struct's BTF id in ``target``, the member's index): the program's
    attach_btf_id and expected_attach_type, as libbpf sets them."""
    where = f"{obj.path}:{prog.section}"
    if use is None:
        raise UserError("verifier", f"{obj.path}: prog '{prog.name}': struct_ops program is "
                                    f"not used by any struct_ops map (libbpf sets its "
                                    f"attach_btf_id from the map's member)", where, REJECTED)
    if target is None:
        raise UserError("verifier", f"{obj.path}: prog '{prog.name}': struct_ops programs need "
                                    f"the kernel's BTF: use --target-btf vmlinux", where,
                        REJECTED)
    kst = target.find_one(use.type_name, L.STRUCT)
    for name in (use.type_name, "bpf_struct_ops_" + use.type_name):
        # libbpf: the struct and the kernel's value type wrapping it (struct_ops types only)
        if target.find_one(name, L.STRUCT) is None:
            raise UserError("verifier", f"{obj.path}: struct_ops init_kern: struct {name} is "
                                        f"not found in kernel BTF", where, REJECTED)
    for i, m in enumerate(kst.members):
        if m.name == use.member:
            return kst.id, i
    raise UserError("verifier", f"{obj.path}: struct_ops init_kern {use.map}: Cannot find "
                                f"member {use.member} in kernel BTF", where, REJECTED)
