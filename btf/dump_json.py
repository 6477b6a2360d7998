"""``bpftool -j btf dump file FILE`` as Python data: ``{"types": [...]}``.

Field names, order and value spellings follow bpftool 7.1's JSON writer, so
``json.dumps(dump_json(btf))`` parses to the same object bpftool prints.
"""

from __future__ import annotations

from . import layout as L
from .dump_raw import FUNC_LINKAGE, INT_ENC, VAR_LINKAGE
from .graph import Btf


def dump_json(btf: Btf) -> dict:
    names = btf.strings.get
    out = []
    for t in btf.types[1:]:
        k = t.kind
        d = {"id": t.id, "kind": L.KIND_NAMES[k], "name": t.name or "(anon)"}
        if k == L.INT:
            d.update(size=t.size, bits_offset=t.int_offset, nr_bits=t.int_bits,
                     encoding=INT_ENC.get(t.int_encoding, "UNKN"))
        elif k in (L.PTR, L.CONST, L.VOLATILE, L.RESTRICT, L.TYPEDEF, L.TYPE_TAG):
            d["type_id"] = t.type
        elif k == L.ARRAY:
            et, it, ne = t.extra
            d.update(type_id=et, index_type_id=it, nr_elems=ne)
        elif k in (L.STRUCT, L.UNION):
            d.update(size=t.size, vlen=t.vlen)
            ms = []
            for m in t.members:
                md = {"name": m.name or "(anon)", "type_id": m.type, "bits_offset": m.bits_offset}
                if m.bitfield_size:
                    md["bitfield_size"] = m.bitfield_size
                ms.append(md)
            d["members"] = ms
        elif k in (L.ENUM, L.ENUM64):
            d.update(encoding="SIGNED" if t.kflag else "UNSIGNED", size=t.size, vlen=t.vlen)
            d["values"] = [{"name": v.name or "(anon)", "val": v.value} for v in t.enum_values]
        elif k == L.FWD:
            d["fwd_kind"] = "union" if t.kflag else "struct"
        elif k == L.FUNC:
            d.update(type_id=t.type, linkage=FUNC_LINKAGE[t.vlen] if t.vlen < 3 else "(unknown)")
        elif k == L.FUNC_PROTO:
            d.update(ret_type_id=t.type, vlen=t.vlen)
            d["params"] = [{"name": names(n) or "(anon)", "type_id": pt} for n, pt in t.raw]
        elif k == L.VAR:
            lk = t.extra[0]
            d.update(type_id=t.type, linkage=VAR_LINKAGE[lk] if lk < 3 else "(unknown)")
        elif k == L.DATASEC:
            d.update(size=t.size, vlen=t.vlen)
            d["vars"] = [{"type_id": vt, "offset": vo, "size": vs} for vt, vo, vs in t.raw]
        elif k == L.FLOAT:
            d["size"] = t.size
        elif k == L.DECL_TAG:
            d.update(type_id=t.type, component_idx=t.component_idx)
        out.append(d)
    return {"types": out}
