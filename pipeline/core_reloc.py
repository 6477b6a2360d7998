"""CO-RE relocations (.BTF.ext ``core_relo`` records) applied against a target BTF, as libbpf does.

libbpf's counterparts: ``bpf_core_find_cands`` / ``bpf_core_add_cands`` (candidate target types
by *essential* name, i.e. the name with any ``___flavor`` suffix dropped, of a CO-RE-compatible
kind), ``bpf_core_calc_relo_insn`` (the local access spec parsed from the access string, matched
against every candidate, the relocated value computed and checked for ambiguity) and
``bpf_core_patch_insn`` (the value written into the instruction: ALU/ALU64 ``imm``, LDX/ST/STX
``off`` and, when the field size changed, the memory size, or the 64-bit constant of an
LD_IMM64).  A relocation without a matching target is not an error: its instruction is
*poisoned*, i.e. replaced by a call to the invalid helper ``0xbad2310``, so the verifier rejects
it only if it is reachable (``invalid func unknown#195896080``, which libbpf turns into
``<invalid CO-RE relocation>`` / ``failed to resolve CO-RE relocation ...``).  What libbpf
refuses outright (a bad access string, ambiguous candidates, an instruction that does not hold
the compile-time value, an offset beyond 32767) is a :class:`CoreError` with libbpf's message.

The relocation kinds and their values are those of ``enum bpf_core_relo_kind``: field byte
offset/size/existence/signedness and the two shifts that extract a bitfield; local/target type
id, type existence, ``bpf_core_type_matches`` and type size; enumerator existence and value.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from btf import kinds as L
from isa import Insn
from isa import opcodes as op
from isa.errors import REJECTED, Error
from isa.ints import U32, U64, s32

from .core_spec import (ENUMVAL_KINDS, ENUMVAL_VALUE, ENUMVAL_EXISTS, EINVAL, E2BIG, EOPNOTSUPP,
                        FIELD_BYTE_OFFSET, FIELD_BYTE_SIZE, FIELD_EXISTS, FIELD_KINDS,
                        FIELD_LSHIFT_U64, FIELD_RSHIFT_U64, FIELD_SIGNED, KIND_STR, TYPE_EXISTS,
                        TYPE_ID_LOCAL, TYPE_ID_TARGET, TYPE_KINDS, TYPE_MATCHES, TYPE_SIZE, Fail,
                        Spec, enum_raw, essential_len, format_spec, kind_compat, kind_str,
                        objdump_spec, parse_spec, size, skip, spec_match)

POISON_HELPER = 0xBAD2310            # 195896080: libbpf's "bad relo" helper id
_ENUMS = (L.ENUM, L.ENUM64)


class CoreError(Error):
    """A CO-RE relocation libbpf refuses: the object does not load."""
    kind = "core"
    exit_code = REJECTED


@dataclass(frozen=True)
class Result:
    """One applied relocation (what ``disasm``/``verify`` show)."""
    section: str
    insn: int                   # instruction index in its ELF section
    relo_idx: int               # libbpf's "relo #N": index among the section's records
    kind: int
    local: str                  # the local spec, bpf_core_format_spec style
    objdump: str                # the same as llvm-objdump -dr prints the record
    target: str | None          # the matched target spec (None: no candidate matched)
    orig: int
    new: int
    poison: bool

    @property
    def kind_str(self) -> str:
        return KIND_STR[self.kind] if self.kind < len(KIND_STR) else "unknown"

    def note(self) -> str:
        """``disasm``'s note: llvm-objdump's CO-RE line, then what was patched in."""
        head = f"CO-RE <{self.kind_str}> {self.objdump}"
        if self.poison:
            return f"{head}: unresolved, poisoned"
        return f"{head}: {self.orig} -> {self.new}"


# ---- values ------------------------------------------------------------------------------------

@dataclass
class _Res:
    orig: int = 0
    new: int = 0
    poison: bool = False
    validate: bool = True
    fail_memsz: bool = False
    orig_sz: int = 0
    new_sz: int = 0
    orig_type: int = 0
    new_type: int = 0


def _calc_field(kind: int, spec: Spec | None, relo_desc: str):
    """bpf_core_calc_field_relo: (value, field size, field type id, validate)."""
    if kind == FIELD_EXISTS:
        return (1 if spec else 0), 0, 0, True
    if spec is None:
        raise Fail(-1)                                   # poison
    btf = spec.btf
    acc = spec.acc[-1]
    if acc.name is None:
        if kind == FIELD_BYTE_OFFSET:
            return spec.bit_offset // 8, size(btf, acc.type_id), acc.type_id, True
        if kind == FIELD_BYTE_SIZE:
            return size(btf, acc.type_id), 0, 0, True
        raise Fail(EINVAL, f"{relo_desc} can't be applied to array access")
    t = btf.types[acc.type_id]
    m = t.members[acc.idx]
    mt, ftype = skip(btf, m.type)
    bit_off, bit_sz = spec.bit_offset, m.bitfield_size
    bitfield = bit_sz > 0
    if bitfield:
        byte_sz = mt.size
        byte_off = bit_off // 8 // byte_sz * byte_sz
        while bit_off + bit_sz - byte_off * 8 > byte_sz * 8:
            if byte_sz >= 8:
                raise Fail(E2BIG, f"{relo_desc} can't be satisfied for bitfield")
            byte_sz *= 2
            byte_off = bit_off // 8 // byte_sz * byte_sz
    else:
        byte_sz = size(btf, ftype)
        byte_off = bit_off // 8
        bit_sz = byte_sz * 8
    validate = not bitfield
    if kind == FIELD_BYTE_OFFSET:
        return byte_off, (0 if bitfield else byte_sz), (0 if bitfield else ftype), validate
    if kind == FIELD_BYTE_SIZE:
        return byte_sz, 0, 0, validate
    if kind == FIELD_SIGNED:
        signed = ((mt.kind in _ENUMS and mt.kflag)
                  or (mt.kind == L.INT and bool(mt.int_encoding & 1)))
        return int(signed), 0, 0, True
    if kind == FIELD_LSHIFT_U64:
        return 64 - (bit_off + bit_sz - byte_off * 8), 0, 0, validate
    if kind == FIELD_RSHIFT_U64:
        return 64 - bit_sz, 0, 0, True
    raise Fail(EOPNOTSUPP)


def _calc_type(kind: int, spec: Spec | None):
    if spec is None:
        return 0, True
    if kind == TYPE_ID_TARGET:
        return spec.root_type_id, False
    if kind in (TYPE_EXISTS, TYPE_MATCHES):
        return 1, True
    if kind == TYPE_SIZE:
        return size(spec.btf, spec.root_type_id), True
    raise Fail(EOPNOTSUPP)


def _calc_enumval(kind: int, spec: Spec | None) -> int:
    if kind == ENUMVAL_EXISTS:
        return 1 if spec else 0
    if kind == ENUMVAL_VALUE:
        if spec is None:
            raise Fail(-1)
        t = spec.btf.types[spec.acc[0].type_id]
        return enum_raw(t, spec.acc[0].idx)
    raise Fail(EOPNOTSUPP)


def _calc_relo(kind: int, local: Spec, targ: Spec | None, desc: str) -> _Res:
    """bpf_core_calc_relo: original (local) and new (target) values, or a poison request."""
    res = _Res()
    try:
        if kind in FIELD_KINDS:
            res.orig, res.orig_sz, res.orig_type, res.validate = _calc_field(kind, local, desc)
            res.new, res.new_sz, res.new_type, _ = _calc_field(kind, targ, desc)
            if res.orig_sz != res.new_sz:
                ot = local.btf.types[res.orig_type]
                nt = targ.btf.types[res.new_type]
                ok = (ot.kind == L.PTR and nt.kind == L.PTR) or (
                    ot.kind == L.INT and nt.kind == L.INT
                    and ot.int_encoding != 1 and nt.int_encoding != 1)
                res.fail_memsz = not ok
        elif kind in TYPE_KINDS:
            res.orig, res.validate = _calc_type(kind, local)
            res.new, _ = _calc_type(kind, targ)
        elif kind in ENUMVAL_KINDS:
            res.orig = _calc_enumval(kind, local)
            res.new = _calc_enumval(kind, targ)
        else:
            raise Fail(EOPNOTSUPP)
    except Fail as e:
        if e.errno != -1:
            raise
        res.poison = True
    return res


# ---- one relocation: candidates, value, patch ----------------------------------------------

class Target:
    """A target BTF with its candidate index (essential name -> type ids), built once."""

    def __init__(self, btf, name: str):
        self.btf = btf
        self.name = name
        self._index: dict[str, list[int]] | None = None

    def candidates(self, local_t) -> list[int]:
        """bpf_core_add_cands: types of a CO-RE-compatible kind with the same essential name."""
        if self._index is None:
            idx: dict[str, list[int]] = {}
            for t in self.btf.types[1:]:
                if t.name:
                    idx.setdefault(t.name[:essential_len(t.name)], []).append(t.id)
            self._index = idx
        key = local_t.name[:essential_len(local_t.name)]
        return [i for i in self._index.get(key, ()) if kind_compat(self.btf.types[i], local_t)]


def calc_relo_insn(prog: str, relo, relo_idx: int, local_btf, target: Target, cache: dict):
    """bpf_core_calc_relo_insn: (local spec, target spec or None, result) for one record."""
    insn_idx = relo.insn_off // 8
    lt = local_btf.types[relo.type_id]
    lname = lt.name or "<anon>"
    try:
        local = parse_spec(local_btf, relo.type_id, relo.access_str, relo.kind)
    except Fail as e:
        if e.message:
            raise CoreError(f"prog '{prog}': {e.message}") from None
        raise CoreError(f"prog '{prog}': relo #{relo_idx}: parsing [{relo.type_id}] "
                        f"{kind_str(lt)} {lname} + {relo.access_str} failed: -{e.errno}") from None
    desc = f"prog '{prog}': relo {relo.kind} at insn #{insn_idx}"
    if relo.kind == TYPE_ID_LOCAL:
        return local, None, _Res(relo.type_id, relo.type_id, validate=False)
    if not lt.name:
        raise CoreError(f"prog '{prog}': relo #{relo_idx}: <{KIND_STR[relo.kind]}> ({relo.kind}) "
                        f"relocation doesn't support anonymous types")
    if relo.kind >= len(KIND_STR):
        raise CoreError(f"prog '{prog}': relo #{relo_idx}: unrecognized CO-RE relocation unknown "
                        f"({relo.kind}) at insn #{insn_idx}")
    cands = cache.get(relo.type_id)
    if cands is None:
        cands = cache[relo.type_id] = target.candidates(lt)
    best, best_res, kept = None, None, []
    try:
        for cid in cands:
            cand = spec_match(local, target.btf, cid)
            if cand is None:
                continue
            res = _calc_relo(relo.kind, local, cand, desc)
            if best is None:
                best, best_res = cand, res
            elif cand.bit_offset != best.bit_offset:
                raise CoreError(f"prog '{prog}': relo #{relo_idx}: field offset ambiguity: "
                                f"{cand.bit_offset} != {best.bit_offset}")
            elif res.poison != best_res.poison or res.new != best_res.new:
                raise CoreError(
                    f"prog '{prog}': relo #{relo_idx}: relocation decision ambiguity: "
                    f"{'failure' if res.poison else 'success'} {res.new} != "
                    f"{'failure' if best_res.poison else 'success'} {best_res.new}")
            kept.append(cid)
        if kept:
            cache[relo.type_id] = kept      # libbpf prunes the cached candidate list
            return local, best, best_res
        return local, None, _calc_relo(relo.kind, local, None, desc)
    except Fail as e:
        if e.message:
            raise CoreError(f"{e.message}") from None
        raise CoreError(f"prog '{prog}': relo #{relo_idx}: failed to relocate: "
                        f"-{e.errno}") from None


_SIZE_OF_BYTES = {8: op.DW, 4: op.W, 2: op.H, 1: op.B}


def _patch_at(prog: str, insns: list[Insn], at: int, i: int, relo_idx: int, res: _Res) -> bool:
    """bpf_core_patch_insn on ``insns[at]``; messages name it ``#i`` (its index in its own
    function, as libbpf counts before linking)."""
    ins = insns[at]
    cls = ins.code & 7

    def poison():
        if ins.code == op.LD_IMM64 and at + 1 < len(insns):
            insns[at + 1] = Insn(op.CALL_OP, imm=POISON_HELPER)
        insns[at] = Insn(op.CALL_OP, imm=POISON_HELPER)

    if res.poison:
        poison()
        return True
    orig, new = res.orig, res.new
    where = f"prog '{prog}': relo #{relo_idx}: "
    if cls in (op.ALU, op.ALU64):
        if ins.code & op.X:
            raise CoreError(where + f"failed to patch insn #{i}: -{EINVAL}")
        if res.validate and (ins.imm & U64) != orig:
            raise CoreError(where + f"unexpected insn #{i} (ALU/ALU64) value: got {ins.imm & U32}, "
                                    f"exp {orig} -> {new}")
        insns[at] = replace(ins, imm=s32(new))
    elif cls in (op.LDX, op.ST, op.STX):
        if res.validate and (ins.off & U64) != orig:
            raise CoreError(where + f"unexpected insn #{i} (LDX/ST/STX) value: got "
                                    f"{ins.off & U32}, exp {orig} -> {new}")
        if new > 0x7FFF:
            raise CoreError(where + f"insn #{i} (LDX/ST/STX) value too big: {new}")
        if res.fail_memsz:
            poison()        # libbpf warns: "accesses field incorrectly" and poisons
            return True
        code = ins.code
        if res.new_sz != res.orig_sz:
            have = op.SIZE_BYTES[code & 0x18]
            if have != res.orig_sz:
                raise CoreError(where + f"insn #{i} (LDX/ST/STX) unexpected mem size: got {have}, "
                                        f"exp {res.orig_sz}")
            sz = _SIZE_OF_BYTES.get(res.new_sz)
            if sz is None:
                raise CoreError(where + f"insn #{i} (LDX/ST/STX) invalid new mem size: "
                                        f"{res.new_sz}")
            code = (code & 0xE0) | sz | cls
        insns[at] = replace(ins, code=code, off=new)
    elif cls == op.LD:
        nxt = insns[at + 1] if at + 1 < len(insns) else None
        if (ins.code != op.LD_IMM64 or ins.src or ins.off or nxt is None or nxt.code
                or nxt.dst or nxt.src or nxt.off):
            raise CoreError(where + f"insn #{i} (LDIMM64) has unexpected form")
        imm = (ins.imm & U32) | ((nxt.imm & U32) << 32)
        if res.validate and imm != orig:
            raise CoreError(where + f"unexpected insn #{i} (LDIMM64) value: got {imm}, "
                                    f"exp {orig} -> {new}")
        insns[at] = replace(ins, imm=s32(new))
        insns[at + 1] = replace(nxt, imm=s32(new >> 32))
    else:
        raise CoreError(where + f"trying to relocate unrecognized insn #{i}, code:{ins.code:#x}, "
                                f"src:{ins.src:#x}, dst:{ins.dst:#x}, off:{ins.off & 0xFFFF:#x}, "
                                f"imm:{ins.imm & U32:#x}")
    return False


def relocate_program(insns: list[Insn], functions, local_btf, ext, target: Target,
                     cache: dict) -> list[tuple[int, Result]]:
    """bpf_object__relocate_core for one linked program: every ``core_relo`` record that falls
    inside one of ``functions`` (:class:`pipeline.objfile.LinkedFunc`: the program, then its
    subprograms) is resolved against ``target`` and patched into ``insns`` (in place) at its
    linked position.  Records outside every function (an eliminated weak subprogram's) are
    skipped, as libbpf skips them.  Returns (linked index, result) pairs; ``cache`` holds the
    candidate lists per local type id across programs (libbpf's cand_cache)."""
    out = []
    for f in functions:
        lo, hi = f.sec_offset, f.sec_offset + 8 * f.length
        for idx, relo in enumerate(ext.core_relos.get(f.section, ())):
            if not lo <= relo.insn_off < hi:
                continue
            if relo.insn_off % 8:
                raise CoreError(f"sec '{f.section}': CO-RE relocation #{idx} at byte offset "
                                f"{relo.insn_off} is not instruction aligned")
            at = f.start + (relo.insn_off - lo) // 8
            local, targ, res = calc_relo_insn(f.name, relo, idx, local_btf, target, cache)
            poisoned = _patch_at(f.name, insns, at, (relo.insn_off - lo) // 8, idx, res)
            out.append((at, Result(f.section, relo.insn_off // 8, idx, relo.kind,
                                   format_spec(local), objdump_spec(local),
                                   None if targ is None else format_spec(targ),
                                   res.orig, res.new, poisoned)))
    return out
