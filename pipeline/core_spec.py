"""CO-RE access specs and type matching against a target BTF (libbpf's relo_core.c, first half).

``parse_spec`` is ``bpf_core_parse_spec`` (the access string ``0:1:2`` walked through the local
type into field/array accessors and a bit offset); ``spec_match`` is ``bpf_core_spec_match``
(the same named fields and in-bounds array indices found in a candidate target type, through
anonymous members, with ``bpf_core_fields_are_compat`` types); ``types_are_compat`` and
``types_match`` are the type-based relocations' ``bpf_core_types_are_compat`` and
``bpf_core_types_match``; ``format_spec`` is ``bpf_core_format_spec``.  Names compare by their
*essential* part: ``task_struct___old`` matches ``task_struct``.  Failures raise :class:`Fail`
with libbpf's errno; :mod:`pipeline.core_reloc` turns them into libbpf's messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from btf import BtfError
from btf import kinds as L
from isa.ints import U64, s32

SPEC_MAX_LEN = 64                    # BPF_CORE_SPEC_MAX_LEN
EINVAL, E2BIG, ERANGE, EOPNOTSUPP = 22, 7, 34, 95

# enum bpf_core_relo_kind -> libbpf's core_relo_kind_str
KIND_STR = ("byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64",
            "local_type_id", "target_type_id", "type_exists", "type_size", "enumval_exists",
            "enumval_value", "type_matches")
(FIELD_BYTE_OFFSET, FIELD_BYTE_SIZE, FIELD_EXISTS, FIELD_SIGNED, FIELD_LSHIFT_U64,
 FIELD_RSHIFT_U64, TYPE_ID_LOCAL, TYPE_ID_TARGET, TYPE_EXISTS, TYPE_SIZE, ENUMVAL_EXISTS,
 ENUMVAL_VALUE, TYPE_MATCHES) = range(13)
FIELD_KINDS = range(FIELD_BYTE_OFFSET, FIELD_RSHIFT_U64 + 1)
TYPE_KINDS = (TYPE_ID_LOCAL, TYPE_ID_TARGET, TYPE_EXISTS, TYPE_SIZE, TYPE_MATCHES)
ENUMVAL_KINDS = (ENUMVAL_EXISTS, ENUMVAL_VALUE)
_COMPOSITE = (L.STRUCT, L.UNION)
_ENUMS = (L.ENUM, L.ENUM64)
_MODS = (L.VOLATILE, L.CONST, L.RESTRICT, L.TYPE_TAG, L.TYPEDEF)
_KIND_NAME = {L.UNKN: "void", L.INT: "int", L.PTR: "ptr", L.ARRAY: "array", L.STRUCT: "struct",
              L.UNION: "union", L.ENUM: "enum", L.FWD: "fwd", L.TYPEDEF: "typedef",
              L.VOLATILE: "volatile", L.CONST: "const", L.RESTRICT: "restrict", L.FUNC: "func",
              L.FUNC_PROTO: "func_proto", L.VAR: "var", L.DATASEC: "datasec", L.FLOAT: "float",
              L.DECL_TAG: "decl_tag", L.TYPE_TAG: "type_tag", L.ENUM64: "enum64"}


class Fail(Exception):
    """An errno from the calculation (``-1``: poison the instruction), with an optional
    libbpf message."""

    def __init__(self, errno: int, message: str | None = None):
        super().__init__(message or f"-{errno}")
        self.errno = errno
        self.message = message


@dataclass
class Acc:
    type_id: int
    idx: int
    name: str | None            # field name; None for an array index


@dataclass
class Spec:
    btf: object
    root_type_id: int
    kind: int
    raw: list[int] = field(default_factory=list)
    acc: list[Acc] = field(default_factory=list)
    bit_offset: int = 0


# ---- BTF helpers (libbpf's btf_* accessors) ------------------------------------------------

def essential_len(name: str) -> int:
    """bpf_core_essential_name_len: the length before the last ``X___Y`` flavor separator."""
    for i in range(len(name) - 5, -1, -1):
        s = name[i:i + 5]
        if s[0] != "_" and s[1:4] == "___" and s[4] != "_":
            return i + 1
    return len(name)


def skip(btf, tid: int):
    """skip_mods_and_typedefs: (type, id)."""
    t = btf.types[tid]
    for _ in range(len(btf.types)):
        if t.kind not in _MODS:
            return t, tid
        tid = t.type
        t = btf.types[tid]
    raise Fail(EINVAL)


def kind_compat(a, b) -> bool:
    return a.kind == b.kind or (a.kind in _ENUMS and b.kind in _ENUMS)


def size(btf, tid: int) -> int:
    try:
        return btf.size_of(tid)
    except BtfError:
        raise Fail(EINVAL) from None


def kind_str(t) -> str:
    return _KIND_NAME.get(t.kind, "unknown")


def enum_names(t) -> list[str]:
    return [v.name for v in t.enum_values]


def enum_raw(t, idx: int) -> int:
    """The enumerator's value as libbpf reads it into a u64 (ENUM: an s32, sign-extended)."""
    r = t.raw[idx]
    if t.kind == L.ENUM:
        return s32(r[1]) & U64
    return (r[2] << 32 | r[1]) & U64


def _names_match(lname: str, tname: str) -> bool:
    """bpf_core_names_match."""
    if not tname:
        return not lname
    n = essential_len(lname)
    return essential_len(tname) == n and lname[:n] == tname[:n]


# ---- type compatibility ----------------------------------------------------------------------

def types_are_compat(lb, lid: int, tb, tid: int, level: int = 32) -> bool:
    """bpf_core_types_are_compat (type-based relocations; root names already matched)."""
    if not kind_compat(lb.types[lid], tb.types[tid]):
        return False
    for _ in range(32):
        lt, lid = skip(lb, lid)
        tt, tid = skip(tb, tid)
        if not kind_compat(lt, tt):
            return False
        k = lt.kind
        if k in (L.UNKN, L.STRUCT, L.UNION, L.ENUM, L.FWD, L.ENUM64):
            return True
        if k == L.INT:
            return lt.int_offset == 0 and tt.int_offset == 0
        if k == L.PTR:
            lid, tid = lt.type, tt.type
        elif k == L.ARRAY:
            lid, tid = lt.array[0], tt.array[0]
        elif k == L.FUNC_PROTO:
            lp, tp = lt.params, tt.params
            if len(lp) != len(tp):
                return False
            for a, b in zip(lp, tp):
                if level <= 0:
                    raise Fail(EINVAL)
                if not types_are_compat(lb, skip(lb, a.type)[1], tb, skip(tb, b.type)[1],
                                        level - 1):
                    return False
            lid, tid = skip(lb, lt.type)[1], skip(tb, tt.type)[1]
        else:
            return False
    raise Fail(EINVAL)


def types_match(lb, lid: int, tb, tid: int, behind_ptr: bool = False, level: int = 32) -> bool:
    """bpf_core_types_match (``bpf_core_type_matches``)."""
    if level <= 0:
        raise Fail(EINVAL)
    for _ in range(32):
        lt, lid = skip(lb, lid)
        tt, tid = skip(tb, tid)
        if not _names_match(lt.name, tt.name):
            return False
        lk, tk = lt.kind, tt.kind
        if lk == L.UNKN:
            return lk == tk
        if lk == L.FWD:
            if behind_ptr and lk != tk:
                return (tk == L.STRUCT and not lt.kflag) or (tk == L.UNION and lt.kflag)
            return lk == tk and lt.kflag == tt.kflag
        if lk in _ENUMS:
            if tk not in _ENUMS or lt.size != tt.size or lt.vlen > tt.vlen:
                return False
            tnames = enum_names(tt)
            return all(any(_names_match(n, m) for m in tnames) for n in enum_names(lt))
        if lk in _COMPOSITE:
            if behind_ptr:
                if lk == tk:
                    return True
                return tk == L.FWD and (lk == L.UNION) == tt.kflag
            if lk != tk or lt.vlen > tt.vlen:
                return False
            tms = tt.members
            for m in lt.members:
                if not any(_names_match(m.name, x.name)
                           and types_match(lb, m.type, tb, x.type, behind_ptr, level - 1)
                           for x in tms):
                    return False
            return True
        if lk == L.INT:
            return (lk == tk and lt.size == tt.size
                    and (lt.int_encoding & 1) == (tt.int_encoding & 1))
        if lk == L.PTR:
            if lk != tk:
                return False
            behind_ptr = True
            lid, tid = lt.type, tt.type
        elif lk == L.ARRAY:
            if lk != tk or lt.array[2] != tt.array[2]:
                return False
            lid, tid = lt.array[0], tt.array[0]
        elif lk == L.FUNC_PROTO:
            if lk != tk or lt.vlen != tt.vlen:
                return False
            for a, b in zip(lt.params, tt.params):
                if not types_match(lb, a.type, tb, b.type, behind_ptr, level - 1):
                    return False
            lid, tid = lt.type, tt.type
        else:
            return False
    raise Fail(EINVAL)


def _fields_compat(lb, lid: int, tb, tid: int) -> bool:
    """bpf_core_fields_are_compat."""
    for _ in range(32):
        lt, lid = skip(lb, lid)
        tt, tid = skip(tb, tid)
        if lt.kind in _COMPOSITE and tt.kind in _COMPOSITE:
            return True
        if not kind_compat(lt, tt):
            return False
        k = lt.kind
        if k in (L.PTR, L.FLOAT):
            return True
        if k in (L.FWD, L.ENUM, L.ENUM64):
            a, b = essential_len(lt.name), essential_len(tt.name)
            return a == 0 or b == 0 or (a == b and lt.name[:a] == tt.name[:b])
        if k == L.INT:
            return lt.int_offset == 0 and tt.int_offset == 0
        if k == L.ARRAY:
            lid, tid = lt.array[0], tt.array[0]
            continue
        return False
    raise Fail(EINVAL)


# ---- access specs ------------------------------------------------------------------------------

def _is_flex(btf, parent: Acc | None, arr) -> bool:
    if parent is None or parent.name is None or arr.array[2] > 0:
        return False
    return parent.idx == btf.types[parent.type_id].vlen - 1


def parse_spec(btf, type_id: int, access: str, kind: int) -> Spec:
    """bpf_core_parse_spec: the access string ``0:1:2`` walked through the local type."""
    if not access or access[0] == ":":
        raise Fail(EINVAL)
    spec = Spec(btf, type_id, kind)
    if kind in TYPE_KINDS:
        if access != "0":
            raise Fail(EINVAL)
        return spec
    try:
        spec.raw = [int(x, 10) for x in access.split(":")]
    except ValueError:
        raise Fail(EINVAL) from None
    if len(spec.raw) > SPEC_MAX_LEN:
        raise Fail(E2BIG)
    t, tid = skip(btf, type_id)
    first = spec.raw[0]
    spec.acc.append(Acc(tid, first, None))
    if kind in ENUMVAL_KINDS:
        if t.kind not in _ENUMS or len(spec.raw) > 1 or not 0 <= first < t.vlen:
            raise Fail(EINVAL)
        spec.acc[0].name = enum_names(t)[first]
        return spec
    if kind not in FIELD_KINDS:
        raise Fail(EINVAL)
    spec.bit_offset = first * size(btf, tid) * 8
    for i in range(1, len(spec.raw)):
        t, tid = skip(btf, tid)
        idx = spec.raw[i]
        if t.kind in _COMPOSITE:
            if not 0 <= idx < t.vlen:
                raise Fail(EINVAL)
            m = t.members[idx]
            spec.bit_offset += m.bits_offset
            if m.name:
                spec.acc.append(Acc(tid, idx, m.name))
            tid = m.type
        elif t.kind == L.ARRAY:
            _, tid = skip(btf, t.array[0])
            flex = _is_flex(btf, spec.acc[-1], t)
            if not flex and not 0 <= idx < t.array[2]:
                raise Fail(EINVAL)
            spec.acc.append(Acc(tid, idx, None))
            spec.bit_offset += idx * size(btf, tid) * 8
        else:
            raise Fail(EINVAL, f"relo for [{type_id}] {access} (at idx {i}) captures type "
                                f"[{tid}] of unexpected kind {kind_str(t)}")
    return spec


def _match_member(lb, lacc: Acc, tb, tid: int, spec: Spec):
    """bpf_core_match_member: (found, next target type id); descends anonymous members."""
    tt, tid = skip(tb, tid)
    if tt.kind not in _COMPOSITE:
        return False, None
    lm = lb.types[lacc.type_id].members[lacc.idx]
    for i, m in enumerate(tt.members):
        if len(spec.raw) == SPEC_MAX_LEN:
            raise Fail(E2BIG)
        spec.bit_offset += m.bits_offset
        spec.raw.append(i)
        if not m.name:
            found, nxt = _match_member(lb, lacc, tb, m.type, spec)
            if found:
                return found, nxt
        elif m.name == lm.name:
            spec.acc.append(Acc(tid, i, m.name))
            if _fields_compat(lb, lm.type, tb, m.type):
                return True, m.type
            spec.acc.pop()
            return False, None
        spec.bit_offset -= m.bits_offset
        spec.raw.pop()
    return False, None


def spec_match(local: Spec, tb, tid: int) -> Spec | None:
    """bpf_core_spec_match: the target spec of candidate ``tid``, or None if it does not fit."""
    targ = Spec(tb, tid, local.kind)
    lb = local.btf
    if local.kind in TYPE_KINDS:
        ok = (types_match(lb, local.root_type_id, tb, tid) if local.kind == TYPE_MATCHES
              else types_are_compat(lb, local.root_type_id, tb, tid))
        return targ if ok else None
    if local.kind in ENUMVAL_KINDS:
        tt, tid = skip(tb, tid)
        if tt.kind not in _ENUMS:
            return None
        want = local.acc[0].name
        n = essential_len(want)
        for i, name in enumerate(enum_names(tt)):
            if essential_len(name) == n and name[:n] == want[:n]:
                targ.acc.append(Acc(tid, i, name))
                targ.raw.append(i)
                return targ
        return None
    for i, la in enumerate(local.acc):
        tt, tid = skip(tb, tid)
        if la.name is not None:
            found, tid = _match_member(lb, la, tb, tid, targ)
            if not found:
                return None
            continue
        if i > 0:
            if tt.kind != L.ARRAY:
                return None
            flex = _is_flex(tb, targ.acc[-1] if targ.acc else None, tt)
            if not flex and la.idx >= tt.array[2]:
                return None
            _, tid = skip(tb, tt.array[0])
        if len(targ.raw) == SPEC_MAX_LEN:
            raise Fail(E2BIG)
        targ.acc.append(Acc(tid, la.idx, None))
        targ.raw.append(la.idx)
        targ.bit_offset += la.idx * size(tb, tid) * 8
    return targ


def _spec_root(spec: Spec, name: str) -> tuple[str, bool]:
    """``[id] kind name`` of the spec's root type, with ``::NAME = value`` for an enum value
    relocation; True when that is the whole spec (type and enum value relocations)."""
    t = spec.btf.types[spec.root_type_id]
    out = f"[{spec.root_type_id}] {kind_str(t)} {name}"
    if spec.kind in TYPE_KINDS:
        return out, True
    if spec.kind in ENUMVAL_KINDS:
        et, _ = skip(spec.btf, spec.root_type_id)
        v = et.enum_values[spec.raw[0]]
        return out + f"::{v.name} = {v.value}", True
    return out, False


def format_spec(spec: Spec) -> str:
    """bpf_core_format_spec without the relocation kind: ``[7] struct task_struct.pid (0:17
    @ offset 1234)``."""
    out, whole = _spec_root(spec, spec.btf.types[spec.root_type_id].name or "<anon>")
    if whole:
        return out
    for i, a in enumerate(spec.acc):
        if a.name:
            out += f".{a.name}"
        elif i > 0 or a.idx > 0:
            out += f"[{a.idx}]"
    raw = ":".join(str(x) for x in spec.raw)
    off = spec.bit_offset
    return out + f" ({raw} @ offset {off // 8}{'.' + str(off % 8) if off % 8 else ''})"


def objdump_spec(spec: Spec) -> str:
    """The relocation as ``llvm-objdump -dr`` prints a ``.BTF.ext`` CO-RE record:
    ``[19] struct foo::bar.baz[2] (0:1:0:2)``, ``[5] struct foo``, ``[12] enum e::V = 1``."""
    out, whole = _spec_root(spec, spec.btf.types[spec.root_type_id].name)
    if whole:
        return out
    path = ""
    for a in spec.acc[1:]:
        path += (("." if path else "") + a.name) if a.name else f"[{a.idx}]"
    return out + f"::{path} ({':'.join(str(x) for x in spec.raw)})"
