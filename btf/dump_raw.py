"""``bpftool btf dump file FILE`` (format raw) text, byte for byte (bpftool 7.1).

One line per type, ``[id] KIND 'name' ...``, items on tab-indented lines.
Built as one list of strings for speed: vmlinux has ~3e5 output lines.
"""

from __future__ import annotations

from isa.ints import s32, s64

from . import layout as L
from .graph import Btf

INT_ENC = {0: "(none)", 1: "SIGNED", 2: "CHAR", 4: "BOOL"}
FUNC_LINKAGE = ("static", "global", "extern")
VAR_LINKAGE = ("static", "global", "extern")


def dump_raw(btf: Btf) -> str:
    out: list[str] = []
    add = out.append
    names = btf.strings.get
    kn = L.KIND_NAMES
    for t in btf.types[1:]:
        k = t.kind
        name = t.name or "(anon)"
        head = f"[{t.id}] {kn[k]} '{name}'"
        if k == L.STRUCT or k == L.UNION:
            add(f"{head} size={t.size_type} vlen={t.info & 0xFFFF}")
            if t.info >> 31:
                for n, mt, o in t.raw:
                    bs = o >> 24
                    if bs:
                        add(f"\t'{names(n) or '(anon)'}' type_id={mt} bits_offset={o & 0xFFFFFF} "
                            f"bitfield_size={bs}")
                    else:
                        add(f"\t'{names(n) or '(anon)'}' type_id={mt} bits_offset={o & 0xFFFFFF}")
            else:
                for n, mt, o in t.raw:
                    add(f"\t'{names(n) or '(anon)'}' type_id={mt} bits_offset={o}")
        elif k == L.PTR or k == L.TYPEDEF or k == L.CONST or k == L.VOLATILE or k == L.RESTRICT \
                or k == L.TYPE_TAG:
            add(f"{head} type_id={t.size_type}")
        elif k == L.FUNC_PROTO:
            add(f"{head} ret_type_id={t.size_type} vlen={t.info & 0xFFFF}")
            for n, pt in t.raw:
                add(f"\t'{names(n) or '(anon)'}' type_id={pt}")
        elif k == L.FUNC:
            v = t.info & 0xFFFF
            add(f"{head} type_id={t.size_type} linkage={FUNC_LINKAGE[v] if v < 3 else '(unknown)'}")
        elif k == L.INT:
            d = t.extra[0]
            add(f"{head} size={t.size_type} bits_offset={(d >> 16) & 0xFF} nr_bits={d & 0xFF} "
                f"encoding={INT_ENC.get((d >> 24) & 0x0F, 'UNKN')}")
        elif k == L.ARRAY:
            et, it, ne = t.extra
            add(f"{head} type_id={et} index_type_id={it} nr_elems={ne}")
        elif k == L.ENUM:
            signed = t.info >> 31
            add(f"{head} encoding={'SIGNED' if signed else 'UNSIGNED'} size={t.size_type} "
                f"vlen={t.info & 0xFFFF}")
            for n, v in t.raw:
                if signed:
                    v = s32(v)
                add(f"\t'{names(n) or '(anon)'}' val={v}")
        elif k == L.ENUM64:
            signed = t.info >> 31
            add(f"{head} encoding={'SIGNED' if signed else 'UNSIGNED'} size={t.size_type} "
                f"vlen={t.info & 0xFFFF}")
            for n, lo, hi in t.raw:
                v = hi << 32 | lo
                if signed:
                    add(f"\t'{names(n) or '(anon)'}' val={s64(v)}LL")
                else:
                    add(f"\t'{names(n) or '(anon)'}' val={v}ULL")
        elif k == L.FWD:
            add(f"{head} fwd_kind={'union' if t.info >> 31 else 'struct'}")
        elif k == L.VAR:
            lk = t.extra[0]
            add(f"{head} type_id={t.size_type}, linkage={VAR_LINKAGE[lk] if lk < 3 else '(unknown)'}")
        elif k == L.DATASEC:
            add(f"{head} size={t.size_type} vlen={t.info & 0xFFFF}")
            types = btf.types
            for vt, vo, vs in t.raw:
                # bpftool names the variable (or whatever the entry points to)
                vk = types[vt]
                add(f"\ttype_id={vt} offset={vo} size={vs} ({kn[vk.kind]} '{vk.name or '(anon)'}')")
        elif k == L.FLOAT:
            add(f"{head} size={t.size_type}")
        elif k == L.DECL_TAG:
            add(f"{head} type_id={t.size_type} component_idx={t.extra[0]}")
        else:
            add(head)
    out.append("")
    return "\n".join(out)
