"""Parser and type-graph helpers.

Layout facts are checked against clang itself: we emit `_Static_assert`s with
the sizes/alignments/offsets our graph computes, append them to the original C
and compile — clang rejects the file if any of our numbers is wrong.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

import btf
from btf import kinds as K
from btf.errors import BtfError

DATA = Path(__file__).resolve().parent.parent / "data" / "btf"
LAYOUT_CASES = ["02_struct_basic", "03_bitfields", "04_anon_nested", "08_arrays", "09_flex",
                "12_floats", "15_union", "17_self_ref", "19_packed", "27_deep_nest", "29_vla_like",
                "32_char_arrays", "33_enum_packed"]

# BTF records no alignment; aligned(16) on a 4-byte struct is invisible to it
# (libbpf's btf__align_of says 4 as well), so those two skip the _Alignof check.
OVER_ALIGNED = {"al", "mix"}


def _asserts_for(b: btf.Btf) -> list[str]:
    lines = []
    for t in b.types:
        if t.kind not in (K.STRUCT, K.UNION) or not t.name:
            continue
        tag = f"{'struct' if t.kind == K.STRUCT else 'union'} {t.name}"
        lines.append(f"_Static_assert(sizeof({tag}) == {b.size_of(t.id)}, \"size {tag}\");")
        if t.name not in OVER_ALIGNED:
            lines.append(f"_Static_assert(_Alignof({tag}) == {b.align_of(t.id)}, \"align {tag}\");")
        for m in _leaf_names(b, t):
            hit = b.find_member(t.id, m)
            if hit.member.bitfield_size:
                continue
            lines.append(f"_Static_assert(__builtin_offsetof({tag}, {m}) == {hit.bits_offset // 8}, "
                         f"\"off {tag}.{m}\");")
            mt = b.resolve(hit.member.type)
            if mt.kind == K.ARRAY and mt.array[2] == 0:
                continue          # flexible array: sizeof is not allowed in C
            # member_at must find this member again from clang-checked offset/size
            # (the first union member wins when several overlap, so only check unions' first)
            acc = b.member_at(t.id, hit.bits_offset // 8, b.size_of(hit.member.type))
            assert acc is not None and acc.path[-1] in (m, "") or _overlapping(b, t, hit), (tag, m, acc)
            lines.append(f"_Static_assert(sizeof((({tag} *)0)->{m}) == {b.size_of(hit.member.type)}, "
                         f"\"msize {tag}.{m}\");")
    return lines


def _overlapping(b, t, hit) -> bool:
    """True when the member shares bytes with an earlier one (inside a union)."""
    return any(b.resolve(m.type).kind == K.UNION or t.kind == K.UNION for m in hit.path) or \
        t.kind == K.UNION


def _leaf_names(b, t, depth=0):
    """Member names reachable directly or through anonymous members."""
    out = []
    for m in t.members:
        if m.name:
            out.append(m.name)
        else:
            inner = b.resolve(m.type)
            if inner.kind in (K.STRUCT, K.UNION):
                out.extend(_leaf_names(b, inner, depth + 1))
    return out


@pytest.mark.parametrize("name", LAYOUT_CASES)
def test_layout_matches_clang(name, corpus_objs, clang22, tmp_path):
    b = btf.load(corpus_objs[name]).btf
    checks = _asserts_for(b)
    assert checks, "no named struct/union in this corpus file"
    src = tmp_path / f"{name}_check.c"
    src.write_text((DATA / f"{name}.c").read_text() + "\n" + "\n".join(checks) + "\n")
    res = subprocess.run([clang22, "--target=bpf", "-fsyntax-only", str(src)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_anonymous_member_lookup(corpus_objs):
    b = btf.load(corpus_objs["04_anon_nested"]).btf
    outer = b.find_one("outer", K.STRUCT)
    hit = b.find_member(outer.id, "b")
    # `b` sits inside two anonymous levels: union { struct { int a, b; }; ... }
    assert [m.name for m in hit.path] == ["", "", "b"]
    assert b.find_member(outer.id, "nope") is None
    assert b.find_member(outer.id, "inner").member.name == "inner"


def test_member_at(corpus_objs):
    b = btf.load(corpus_objs["02_struct_basic"]).btf
    rect = b.find_one("rect", K.STRUCT)
    # struct rect { struct point tl, br; const char *name; }, point = { int x, y; }
    assert b.member_at(rect.id, 12, 4).name == "br.y"
    assert b.member_at(rect.id, 8, 8).name == "br"
    assert b.member_at(rect.id, 16, 8).name == "name"
    assert b.member_at(rect.id, 2, 4) is None          # straddles tl.x and tl.y
    assert b.member_at(rect.id, 20, 8) is None         # past the end
    c = btf.load(corpus_objs["08_arrays"]).btf
    cell = c.find_one("cell", K.STRUCT)                # struct cell { short v[2][2]; }
    assert c.member_at(cell.id, 6, 2).name == "v[1][1]"


def test_bitfield_members(corpus_objs):
    b = btf.load(corpus_objs["03_bitfields"]).btf
    f = b.find_one("flags", K.STRUCT)
    assert f.kflag
    by = {m.name: m for m in f.members}
    # widths straight from the C source
    assert (by["a"].bitfield_size, by["b"].bitfield_size, by["c"].bitfield_size) == (1, 3, 12)
    assert by["neg"].bitfield_size == 5 and by["wide"].bitfield_size == 40
    assert by["tail"].bitfield_size == 0


def test_enum_values_signedness(corpus_objs):
    b = btf.load(corpus_objs["05_enums"]).btf
    assert [(v.name, v.value) for v in b.find_one("signedness", K.ENUM).enum_values] == \
        [("NEG", -3), ("ZERO", 0), ("POS", 7)]
    b64 = btf.load(corpus_objs["06_enum64"]).btf
    assert [v.value for v in b64.find_one("big", K.ENUM64).enum_values] == \
        [1, 0xFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF]
    assert [v.value for v in b64.find_one("sbig", K.ENUM64).enum_values] == \
        [-0x100000000, 0x100000000]


def test_decl_tags_per_component(corpus_objs):
    b = btf.load(corpus_objs["13_decl_tags"]).btf
    fn = b.find_one("tagged_fn", K.FUNC)
    assert [d.value for d in b.decl_tags(fn.id, -1)] == ["fn_tag"]
    assert [d.value for d in b.decl_tags(fn.id, 0)] == ["arg_x"]
    assert [d.value for d in b.decl_tags(fn.id, 1)] == ["arg:ctx"]
    st = b.find_one("tagged", K.STRUCT)
    assert [d.value for d in b.decl_tags(st.id, 0)] == ["member_a"]
    assert [d.value for d in b.decl_tags(st.id, -1)] == ["on_struct"]


def test_func_proto_and_resolve(corpus_objs):
    b = btf.load(corpus_objs["22_extern7_12"]).btf
    proto = b.func_proto(b.find_one("kf9", K.FUNC).id)
    # kf9(char, short, int, long, char, short, int, long, unsigned char) -> char
    assert [b.resolve(p.type).name for p in proto.params] == \
        ["char", "short", "int", "long", "char", "short", "int", "long", "unsigned char"]
    assert b.resolve(proto.type).name == "char"
    tb = btf.load(corpus_objs["10_typedefs"]).btf
    h = tb.find_one("cv_handle", K.TYPEDEF)
    assert tb.resolve(h.id).name == "unsigned int"
    assert tb.skip_modifiers(h.id).kind == K.TYPEDEF


def test_btf_ext_func_and_line_info(corpus_objs):
    obj = btf.load(corpus_objs["20_funcs"])
    assert obj.ext is not None
    funcs = {sec: [obj.btf.types[fi.type_id].name for fi in lst] for sec, lst in obj.ext.func_info.items()}
    assert funcs["tc"] == ["prog"]
    assert set(funcs[".text"]) == {"global_fn", "helper"}
    lines = [li for lst in obj.ext.line_info.values() for li in lst]
    assert lines and all(li.file_name.endswith("20_funcs.c") for li in lines)
    assert any("return helper(x, y);" in li.line for li in lines)


def test_core_relocations(build):
    src = """
    struct task { int pid; struct { long a; int tgid; } ids; } __attribute__((preserve_access_index));
    __attribute__((section("tc"))) int prog(struct task *t) { return t->ids.tgid; }
    """
    obj = btf.load(build(src, "core"))
    relos = [r for lst in obj.ext.core_relos.values() for r in lst]
    assert relos, "clang emits a field_byte_offset relocation for preserve_access_index"
    r = relos[0]
    assert r.kind_name == "field_byte_offset"
    assert obj.btf.types[r.type_id].name == "task"
    assert r.access_str == "0:1:1"      # t[0].ids(member 1).tgid(member 1)


# ---- hand-made bad blobs ----------------------------------------------------------

def _blob(types: bytes, strs: bytes = b"\0int\0", *, hdr=None) -> bytes:
    h = hdr or (0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strs))
    return struct.pack("<HBBIIIII", *h) + types + strs


INT_T = struct.pack("<IIII", 1, K.INT << 24, 4, 32 | (1 << 24))


def test_good_minimal_blob():
    b = btf.parse_btf(_blob(INT_T))
    assert b.types[1].name == "int" and b.size_of(1) == 4


@pytest.mark.parametrize("blob, needle, loc", [
    (b"\x00\x00" + bytes(22), "magic", ".BTF+0x0"),
    (_blob(INT_T)[:20], "header truncated", ".BTF+0x0"),
    (_blob(INT_T, hdr=(0xEB9F, 2, 0, 24, 0, 16, 16, 5)), "version", ".BTF+0x2"),
    (_blob(INT_T, hdr=(0xEB9F, 1, 0, 4096, 0, 16, 16, 5)), "header length", ".BTF+0x4"),
    (_blob(INT_T, hdr=(0xEB9F, 1, 0, 24, 0, 160, 16, 5)), "type section", ".BTF+0xc"),
    (_blob(INT_T, hdr=(0xEB9F, 1, 0, 24, 0, 16, 16, 50)), "string section", ".BTF+0x14"),
    (_blob(struct.pack("<IIII", 99, K.INT << 24, 4, 32)), "name offset 99", ".BTF+0x18"),
    (_blob(struct.pack("<III", 0, K.PTR << 24, 7)), "type id 7", ".BTF+0x20"),
    (_blob(struct.pack("<III", 0, 25 << 24, 0)), "invalid kind 25", ".BTF+0x1c"),
    (_blob(struct.pack("<III", 0, K.STRUCT << 24 | 3, 4) + bytes(12)), "vlen 3", ".BTF+0x1c"),
    (_blob(struct.pack("<III", 0, K.PTR << 24, 2) + struct.pack("<III", 0, K.CONST << 24, 1)),
     "loops back", ".BTF+0x18"),
    (_blob(struct.pack("<III", 1, K.STRUCT << 24 | 1, 4) + struct.pack("<III", 1, 1, 0)),
     "contains itself", ".BTF+0x18"),
    (_blob(struct.pack("<III", 0, K.ARRAY << 24, 0) + struct.pack("<III", 1, 1, 2)),
     "contains itself", ".BTF+0x18"),
    (_blob(INT_T[:10]), "truncated", ".BTF+0x18"),
])
def test_bad_blobs(blob, needle, loc):
    with pytest.raises(BtfError) as ei:
        btf.parse_btf(blob)
    assert needle in ei.value.message
    assert ei.value.location == loc


def test_ext_truncated_records(corpus_objs):
    from elftools.elf.elffile import ELFFile
    with open(corpus_objs["20_funcs"], "rb") as f:
        elf = ELFFile(f)
        data = elf.get_section_by_name(".BTF").data()
        ext = elf.get_section_by_name(".BTF.ext").data()
    b = btf.parse_btf(data)
    btf.parse_btf_ext(ext, b)                      # intact: parses
    hdr_len, fi_off, fi_len = struct.unpack_from("<III", ext, 4)
    cut = bytearray(ext)
    struct.pack_into("<I", cut, 12, fi_len + 8)   # func_info claims more than it has
    with pytest.raises(BtfError) as ei:
        btf.parse_btf_ext(bytes(cut), b)
    assert ei.value.location.startswith(".BTF.ext+0x")
    with pytest.raises(BtfError):
        btf.parse_btf_ext(ext[:10], b)
