"""The selftest loader's ``__btf_func_path`` fix-up: parameter names for naked functions.

clang drops parameter names from the BTF of ``__naked`` functions, and the
kernel refuses a FUNC whose prototype has anonymous parameters.  The selftest
runner therefore takes names from a companion object (ordinary C definitions
of the same functions): for every FUNC of the program whose FUNC_PROTO has an
anonymous parameter, the companion's FUNC of the same name supplies the names
if the parameter counts match, and a *new* FUNC_PROTO (program types,
companion names) is appended and the FUNC re-pointed to it.  Prototypes are
shared between functions in clang's BTF, so the old one is left untouched.
"""

from __future__ import annotations

from btf import kinds as L
from btf.graph import Btf
from btf.parse import StringTable
from btf.types import Type


def apply_func_names(prog: Btf, companion: Btf) -> tuple[Btf, list[str]]:
    """A new Btf with named prototypes, and the names of the functions fixed up."""
    types = list(prog.types)
    extra = bytearray()
    base = len(prog.strings.data)
    offsets: dict[str, int] = {}

    def intern(name: str) -> int:
        if not name:
            return 0
        if name not in offsets:
            offsets[name] = base + len(extra)
            extra.extend(name.encode("utf-8", "surrogateescape") + b"\0")
        return offsets[name]

    fixed = []
    new_protos = []
    for fn in prog.types:
        if fn.kind != L.FUNC:
            continue
        proto = prog.types[fn.type]
        if not proto.raw or all(n for n, _ in proto.raw):
            continue
        donor = companion.find_one(fn.name, L.FUNC)
        if donor is None:
            continue
        dproto = companion.types[donor.type]
        if dproto.kind != L.FUNC_PROTO or dproto.vlen != proto.vlen:
            continue
        raw = [(intern(p.name), t) for p, (_, t) in zip(dproto.params, proto.raw)]
        new_protos.append((fn, proto, raw))
        fixed.append(fn.name)
    if not fixed:
        return prog, []
    table = StringTable(bytes(prog.strings.data) + bytes(extra))
    names = table.get
    for fn, proto, raw in new_protos:
        nid = len(types)
        types.append(Type(nid, L.FUNC_PROTO, "", 0, proto.info, proto.size_type, None, raw, -1, names))
        types[fn.id] = Type(fn.id, fn.kind, fn.name, fn.name_off, fn.info, nid, fn.extra, fn.raw,
                            fn.offset, names)
    # every other type keeps its objects, but must resolve names in the grown table
    for i, t in enumerate(types):
        if t._names is not names and i:
            types[i] = Type(t.id, t.kind, t.name, t.name_off, t.info, t.size_type, t.extra, t.raw,
                            t.offset, names)
    return Btf(types, table, prog.endian, prog.section), fixed
