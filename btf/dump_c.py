"""``bpftool btf dump file FILE format c``: BTF as a compilable C header.

Our own implementation of the algorithm libbpf's btf_dump (v1.1, used by
Debian bpftool 7.1) describes: types are first *ordered* so that everything a
definition embeds by value comes before it (pointers only need a forward
declaration), then *emitted*, with anonymous structs/unions/enums inlined where
used, duplicate names made unique with ``___N`` suffixes, padding made
explicit, and packed structs marked.  The header is wrapped in bpftool's
``__VMLINUX_H__`` guard and preserve_access_index pragma.
"""

from __future__ import annotations

import sys

from isa.ints import s32, s64

from . import layout as L
from .errors import BtfError
from .graph import Btf

HEADER = ("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n"
          "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
          "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n"
          "#endif\n\n")
FOOTER = ("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n"
          "#endif /* __VMLINUX_H__ */\n")

NOT_ORDERED, ORDERING, ORDERED = 0, 1, 2
NOT_EMITTED, EMITTING, EMITTED = 0, 1, 2
MODS = frozenset({L.VOLATILE, L.CONST, L.RESTRICT, L.TYPE_TAG})
PTR_SZ = 8
# ARM NEON polynomial types that some compilers describe only as plain ints
MISSING_ALIASES = {"__Poly8_t": "unsigned char", "__Poly16_t": "unsigned short",
                   "__Poly64_t": "unsigned long long", "__Poly128_t": "unsigned __int128"}


def dump_c(btf: Btf, wrap: bool = True) -> str:
    d = _CDumper(btf)
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20000))
    try:
        for tid in range(1, len(btf.types)):
            d.dump_type(tid)
    except RecursionError:
        raise BtfError("type graph too deep to dump as C") from None
    finally:
        sys.setrecursionlimit(old)
    body = "".join(d.out)
    return HEADER + body + FOOTER if wrap else body


def _pfx(lvl: int) -> str:
    return "\t" * min(lvl, 16)


class _CDumper:
    def __init__(self, btf: Btf):
        self.btf = btf
        self.types = btf.types
        n = len(btf.types)
        self.order = bytearray(n)
        self.emit = bytearray(n)
        self.fwd_emitted = bytearray(n)
        self.referenced = bytearray(n)
        self.order[0] = ORDERED
        self.emit[0] = EMITTED
        self.names: dict[int, str] = {}
        self.type_names: dict[str, int] = {}
        self.ident_names: dict[str, int] = {}
        self.queue: list[int] = []
        self.out: list[str] = []
        self._mark_referenced()

    # ---- naming -----------------------------------------------------------
    def _mark_referenced(self) -> None:
        ref = self.referenced
        for t in self.types[1:]:
            k = t.kind
            if k in MODS or k in (L.PTR, L.TYPEDEF, L.FUNC, L.VAR, L.DECL_TAG):
                ref[t.size_type] = 1
            elif k == L.ARRAY:
                ref[t.extra[0]] = ref[t.extra[1]] = 1
            elif k in (L.STRUCT, L.UNION, L.FUNC_PROTO):
                for r in t.raw:
                    ref[r[1]] = 1
            elif k == L.DATASEC:
                for r in t.raw:
                    ref[r[0]] = 1

    @staticmethod
    def _dups(table: dict[str, int], name: str) -> int:
        table[name] = table.get(name, 0) + 1
        return table[name]

    def _resolve_name(self, tid: int, table: dict[str, int]) -> str:
        t = self.types[tid]
        if not t.name:
            return ""
        got = self.names.get(tid)
        if got is not None:
            return got
        name = t.name
        if t.kind == L.FWD or (t.kind in (L.ENUM, L.ENUM64) and t.vlen == 0):
            self.names[tid] = name
            return name
        cnt = self._dups(table, name)
        if cnt > 1:
            name = f"{name}___{cnt}"
        self.names[tid] = name
        return name

    def type_name(self, tid: int) -> str:
        return self._resolve_name(tid, self.type_names)

    def ident_name(self, tid: int) -> str:
        return self._resolve_name(tid, self.ident_names)

    # ---- ordering ------------------------------------------------------------
    def dump_type(self, tid: int) -> None:
        self.queue = []
        self._order(tid, False)
        for q in self.queue:
            self._emit(q, 0)

    def _order(self, tid: int, through_ptr: bool) -> int:
        """1: a strong (by-value) dependency was satisfied; 0: weak; raises on loops."""
        state = self.order[tid]
        if state == ORDERED:
            return 1
        t = self.types[tid]
        k = t.kind
        if state == ORDERING:
            if k in (L.STRUCT, L.UNION) and through_ptr and t.name:
                return 0
            raise BtfError(f"unsatisfiable type cycle at type [{tid}]")
        if k in (L.INT, L.FLOAT):
            self.order[tid] = ORDERED
            return 0
        if k == L.PTR:
            r = self._order(t.size_type, True)
            self.order[tid] = ORDERED
            return r
        if k == L.ARRAY:
            r = self._order(t.extra[0], False)
            if self.order[t.extra[0]] == ORDERED:
                # libbpf re-walks an array's element chain on every visit (its answer is then
                # always 1); remembering that keeps a deep array chain linear, not quadratic
                self.order[tid] = ORDERED
            return r
        if k in (L.STRUCT, L.UNION):
            if through_ptr and t.name:
                return 0
            self.order[tid] = ORDERING
            for r in t.raw:
                self._order(r[1], False)
            if t.name:
                self.queue.append(tid)
            self.order[tid] = ORDERED
            return 1
        if k in (L.ENUM, L.ENUM64, L.FWD):
            if t.name or not self.referenced[tid]:
                self.queue.append(tid)
            self.order[tid] = ORDERED
            return 1
        if k == L.TYPEDEF:
            strong = self._order(t.size_type, through_ptr)
            if through_ptr and not strong:
                return 0
            self.queue.append(tid)
            self.order[tid] = ORDERED
            return 1
        if k in MODS:
            return self._order(t.size_type, through_ptr)
        if k == L.FUNC_PROTO:
            strong = self._order(t.size_type, through_ptr) > 0
            for r in t.raw:
                if self._order(r[1], through_ptr) > 0:
                    strong = True
            return int(strong)
        # FUNC, VAR, DATASEC, DECL_TAG: nothing to emit
        self.order[tid] = ORDERED
        return 0

    # ---- emitting ------------------------------------------------------------
    def _blacklisted(self, tid: int) -> bool:
        return self.types[tid].name == "__builtin_va_list"

    def _emit(self, tid: int, cont_id: int) -> None:
        state = self.emit[tid]
        if state == EMITTED:
            return
        t = self.types[tid]
        k = t.kind
        w = self.out.append
        top = cont_id == 0
        if state == EMITTING:
            if self.fwd_emitted[tid]:
                return
            if k in (L.STRUCT, L.UNION):
                if tid == cont_id or not t.name:
                    return
                self._struct_fwd(tid)
                w(";\n\n")
                self.fwd_emitted[tid] = 1
            elif k == L.TYPEDEF:
                if not self._blacklisted(tid):
                    self._typedef_def(tid, 0)
                    w(";\n\n")
                self.fwd_emitted[tid] = 1
            return
        if k == L.INT:
            alias = MISSING_ALIASES.get(t.name)
            if alias:
                w(f"typedef {alias} {t.name};\n\n")
            self.emit[tid] = EMITTED
        elif k in (L.ENUM, L.ENUM64):
            if top:
                self._enum_def(tid, 0)
                w(";\n\n")
            self.emit[tid] = EMITTED
        elif k == L.PTR or k in MODS:
            self._emit(t.size_type, cont_id)
        elif k == L.ARRAY:
            self._emit(t.extra[0], cont_id)
        elif k == L.FWD:
            self._fwd_def(tid)
            w(";\n\n")
            self.emit[tid] = EMITTED
        elif k == L.TYPEDEF:
            self.emit[tid] = EMITTING
            self._emit(t.size_type, tid)
            if not self.fwd_emitted[tid] and not self._blacklisted(tid):
                self._typedef_def(tid, 0)
                w(";\n\n")
            self.emit[tid] = EMITTED
        elif k in (L.STRUCT, L.UNION):
            self.emit[tid] = EMITTING
            if top or not t.name:
                new_cont = cont_id if not t.name else tid
                for r in t.raw:
                    self._emit(r[1], new_cont)
            elif not self.fwd_emitted[tid] and tid != cont_id:
                self._struct_fwd(tid)
                w(";\n\n")
                self.fwd_emitted[tid] = 1
            if top:
                self._struct_def(tid, 0)
                w(";\n\n")
                self.emit[tid] = EMITTED
            else:
                self.emit[tid] = NOT_EMITTED
        elif k == L.FUNC_PROTO:
            self._emit(t.size_type, cont_id)
            for r in t.raw:
                self._emit(r[1], cont_id)

    # ---- definitions -----------------------------------------------------------
    def _struct_fwd(self, tid: int) -> None:
        t = self.types[tid]
        kw = "struct" if t.kind == L.STRUCT else "union"
        self.out.append(f"{kw}{' ' if t.name else ''}{self.type_name(tid)}")

    def _fwd_def(self, tid: int) -> None:
        t = self.types[tid]
        self.out.append(f"{'union' if t.kflag else 'struct'} {self.type_name(tid)}")

    def _typedef_def(self, tid: int, lvl: int) -> None:
        t = self.types[tid]
        name = self.ident_name(tid)
        if t.size_type == 0 and name == "__gnuc_va_list":
            self.out.append("typedef __builtin_va_list __gnuc_va_list")
            return
        self.out.append("typedef ")
        self._type_decl(t.size_type, name, lvl)

    def _align(self, tid: int) -> int:
        try:
            return self.btf.align_of(tid)
        except BtfError:
            return 0

    def _is_packed(self, t) -> bool:
        max_align = 1
        for m in t.members:
            a = self._align(m.type)
            if a and m.bitfield_size == 0 and m.bits_offset % (8 * a):
                return True
            max_align = max(a, max_align)
        return bool(t.size % max_align)

    def _struct_def(self, tid: int, lvl: int) -> None:
        t = self.types[tid]
        w = self.out.append
        is_struct = t.kind == L.STRUCT
        align = self._align(tid)
        packed = self._is_packed(t) if is_struct else False
        w(f"{'struct' if is_struct else 'union'}{' ' if t.name else ''}{self.type_name(tid)} {{")
        off = 0
        prev_bitfield = False
        for m in t.members:
            m_sz = m.bitfield_size
            m_off = m.bits_offset
            m_align = 1 if packed else self._align(m.type)
            in_bitfield = prev_bitfield and m_sz != 0
            self._bit_padding(off, m_off, m_align, in_bitfield, lvl + 1)
            w(f"\n{_pfx(lvl + 1)}")
            self._type_decl(m.type, m.name, lvl + 1)
            if m_sz:
                w(f": {m_sz}")
                off = m_off + m_sz
                prev_bitfield = True
            else:
                try:
                    sz = max(0, self.btf.size_of(m.type))
                except BtfError:
                    sz = 0
                off = m_off + sz * 8
                prev_bitfield = False
            w(";")
        if is_struct:
            self._bit_padding(off, t.size * 8, align, False, lvl + 1)
        if t.vlen or t.size:
            w(f"\n{_pfx(lvl)}}}")
        else:
            w("}")
        if packed:
            w(" __attribute__((packed))")

    def _bit_padding(self, cur: int, nxt: int, next_align: int, in_bitfield: bool, lvl: int) -> None:
        if cur >= nxt:
            return
        pads = (("long", PTR_SZ * 8), ("int", 32), ("short", 16), ("char", 8))
        w = self.out.append
        new_off = cur
        pad_type, pad_bits = pads[-1]
        for pad_type, pad_bits in pads:
            new_off = -(-cur // pad_bits) * pad_bits
            if new_off <= nxt:
                break
        if cur < new_off <= nxt:
            na = next_align * 8
            if in_bitfield or \
                    (new_off == nxt and (-(-cur // na) * na if na else cur) != new_off) or \
                    (new_off != nxt and nxt - new_off <= new_off - cur):
                w(f"\n{_pfx(lvl)}{pad_type}: {new_off - cur if in_bitfield else 0};")
            cur = new_off
        while cur != nxt:
            bits = min(nxt - cur, pad_bits)
            if bits == pad_bits:
                w(f"\n{_pfx(lvl)}{pad_type}: {pad_bits};")
                cur += bits
                continue
            for ptype, pbits in reversed(pads):
                if pbits < bits:
                    continue
                w(f"\n{_pfx(lvl)}{ptype}: {bits};")
                cur += bits
                break

    def _enum_def(self, tid: int, lvl: int) -> None:
        t = self.types[tid]
        w = self.out.append
        w(f"enum{' ' if t.name else ''}{self.type_name(tid)}")
        if not t.vlen:
            return
        w(" {")
        signed = t.kflag
        names = self.btf.strings.get
        if t.kind == L.ENUM:
            for n, v in t.raw:
                name = names(n)
                if signed:
                    v = s32(v)
                cnt = self._dups(self.ident_names, name)
                w(f"\n{_pfx(lvl + 1)}{name}___{cnt} = {v}," if cnt > 1 else
                  f"\n{_pfx(lvl + 1)}{name} = {v},")
        else:
            suffix = "LL" if signed else "ULL"
            for n, lo, hi in t.raw:
                name = names(n)
                v = hi << 32 | lo
                if signed:
                    v = s64(v)
                cnt = self._dups(self.ident_names, name)
                w(f"\n{_pfx(lvl + 1)}{name}___{cnt} = {v}{suffix}," if cnt > 1 else
                  f"\n{_pfx(lvl + 1)}{name} = {v}{suffix},")
        # libbpf 1.1 (bpftool 7.1) adds no mode(byte)/mode(word) for odd-sized enums
        w(f"\n{_pfx(lvl)}}}")

    def _enum_fwd(self, tid: int) -> None:
        self.out.append(f"enum {self.type_name(tid)}")

    # ---- declarators -----------------------------------------------------------
    def _type_decl(self, tid: int, fname: str, lvl: int) -> None:
        """Emit `<type> <fname>` for a type chain (pointers, arrays, protos, modifiers)."""
        stack = []
        types = self.types
        for _ in range(len(types) + 1):
            stack.append(tid)
            if tid == 0:
                break
            t = types[tid]
            k = t.kind
            if k in (L.PTR, L.VOLATILE, L.CONST, L.RESTRICT, L.FUNC_PROTO, L.TYPE_TAG):
                tid = t.size_type
            elif k == L.ARRAY:
                tid = t.extra[0]
            else:
                break
        self._type_chain(stack, fname, lvl)

    def _emit_mods(self, stack: list[int]) -> None:
        w = self.out.append
        while stack:
            k = self.types[stack[-1]].kind
            if k == L.VOLATILE:
                w("volatile ")
            elif k == L.CONST:
                w("const ")
            elif k == L.RESTRICT:
                w("restrict ")
            else:
                return
            stack.pop()

    def _drop_mods(self, stack: list[int]) -> None:
        while stack and self.types[stack[-1]].kind in MODS:
            stack.pop()

    def _emit_name(self, name: str, last_was_ptr: bool) -> None:
        self.out.append(f" {name}" if name and not last_was_ptr else name)

    def _type_chain(self, stack: list[int], fname: str, lvl: int) -> None:
        w = self.out.append
        last_was_ptr = True
        while stack:
            tid = stack.pop()
            if tid == 0:
                self._emit_mods(stack)
                w("void")
                last_was_ptr = False
                continue
            t = self.types[tid]
            k = t.kind
            if k in (L.INT, L.FLOAT):
                self._emit_mods(stack)
                w(t.name)
            elif k in (L.STRUCT, L.UNION):
                self._emit_mods(stack)
                if not t.name:
                    self._struct_def(tid, lvl)
                else:
                    self._struct_fwd(tid)
            elif k in (L.ENUM, L.ENUM64):
                self._emit_mods(stack)
                if not t.name:
                    self._enum_def(tid, lvl)
                else:
                    self._enum_fwd(tid)
            elif k == L.FWD:
                self._emit_mods(stack)
                self._fwd_def(tid)
            elif k == L.TYPEDEF:
                self._emit_mods(stack)
                w(self.ident_name(tid))
            elif k == L.PTR:
                w("*" if last_was_ptr else " *")
            elif k == L.VOLATILE:
                w(" volatile")
            elif k == L.CONST:
                w(" const")
            elif k == L.RESTRICT:
                w(" restrict")
            elif k == L.TYPE_TAG:
                self._emit_mods(stack)
                w(f' __attribute__((btf_type_tag("{t.name}")))')
            elif k == L.ARRAY:
                nelems = t.extra[2]
                self._drop_mods(stack)
                if not stack:
                    self._emit_name(fname, last_was_ptr)
                    w(f"[{nelems}]")
                    return
                multidim = self.types[stack[-1]].kind == L.ARRAY
                if fname and not last_was_ptr:
                    w(" ")
                if not multidim:
                    w("(")
                self._type_chain(stack, fname, lvl)
                if not multidim:
                    w(")")
                w(f"[{nelems}]")
                return
            elif k == L.FUNC_PROTO:
                self._drop_mods(stack)
                if stack:
                    w(" (")
                    self._type_chain(stack, fname, lvl)
                    w(")")
                else:
                    self._emit_name(fname, last_was_ptr)
                w("(")
                params = t.raw
                if not params or (len(params) == 1 and params[0][1] == 0):
                    w("void)")
                    return
                names = self.btf.strings.get
                for i, (n, pt) in enumerate(params):
                    if i:
                        w(", ")
                    if i == len(params) - 1 and pt == 0:
                        w("...")
                        break
                    self._type_decl(pt, names(n), lvl)
                w(")")
                return
            else:
                return
            last_was_ptr = k == L.PTR
        self._emit_name(fname, last_was_ptr)
