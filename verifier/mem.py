"""Memory accesses through pointer registers (kernel: check_mem_access).

Dispatches on the base register's type: map values and keys (bounds against
the map's sizes, read-only .rodata), packet data (the range proven by
``data + N <= data_end`` comparisons), PTR_TO_MEM regions (ring buffer
records, global-subprog memory arguments), the context (per program type,
see :mod:`verifier.ctx`), the stack (:mod:`verifier.stack`) and socket
pointers.  Also the load/store/atomic instruction handlers that call it.

Error texts are the kernel's, including its two-line forms such as
``invalid access to map value, value_size=8 off=8 size=8`` followed by
``R0 max value is outside of the allowed memory range``.
"""

from __future__ import annotations

import struct

from isa import opcodes as op
from isa.ints import S64_MIN, s32, s64
from isa.uapi import FLOW_KEYS_SIZE
from verifier import regtypes as T
from verifier import stack as ST
from verifier.btf_access import btf_id_access
from verifier import local_obj as LO
from verifier.ctx import TCP_SOCK_U64 as _TCP_SOCK_U64, sock_ptr_is_valid_access
from verifier.env import BPF_MAX_VAR_OFF, Env, check_reg_arg_dst, check_reg_arg_src
from verifier.helpers import HELPERS, RET_PTR_TO_TCP_SOCK, TYPE_HELPERS
from verifier.input import BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG
from verifier.errors import EACCES, EFAULT, EINVAL, VerifierError
from verifier.refs import check_resource_leak
from verifier.scalar_bounds import Scalar
from verifier.scalar_width import coerce_reg_to_size, coerce_reg_to_size_sx
from verifier.state import EMPTY_SLOT, MAX_BPF_STACK, NOT_INIT_REG, UNKNOWN_SCALAR, Reg
from verifier.tnum import tnum_add, tnum_const, tnum_is_aligned, tnum_strn

SIZE_BYTES = {op.W: 4, op.H: 2, op.B: 1, op.DW: 8}
_PTR_TO_STACK, _PTR_TO_CTX, _PTR_TO_MAP_VALUE = T.PTR_TO_STACK, T.PTR_TO_CTX, T.PTR_TO_MAP_VALUE
_PTR_TO_PACKET, _PTR_TO_PACKET_META = T.PTR_TO_PACKET, T.PTR_TO_PACKET_META
_RDWR_ONLY_PROG = BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG    # check_map_access_type's flags
_SIZE = SIZE_BYTES
_MEM, _MEMSX = op.MEM, op.MEMSX
_NOT_INIT = T.NOT_INIT
_write_fixed, _read_fixed = ST._write_fixed, ST._read_fixed


def _mem_err(env: Env, regno: int, off: int, size: int, mem_size: int) -> str:
    reg = env.reg(regno)
    t = reg.type
    if t == T.PTR_TO_MAP_KEY:
        return f"invalid access to map key, key_size={mem_size} off={off} size={size}"
    if t == T.PTR_TO_MAP_VALUE:
        return f"invalid access to map value, value_size={mem_size} off={off} size={size}"
    if t in (T.PTR_TO_PACKET, T.PTR_TO_PACKET_META, T.PTR_TO_PACKET_END):
        return (f"invalid access to packet, off={off} size={size}, "
                f"R{regno}(id={reg.id},off={off},r={mem_size})")
    return f"invalid access to memory, mem_size={mem_size & 0xFFFFFFFF} off={off} size={size}"


def _mem_ok(off: int, size: int, mem_size: int, zero_size_allowed: bool) -> bool:
    size_ok = size > 0 or (size == 0 and zero_size_allowed)
    return off >= 0 and size_ok and off + size <= mem_size


def check_mem_region_access(env: Env, regno: int, off: int, size: int, mem_size: int,
                            zero_size_allowed: bool) -> None:
    st = env.cur
    s = st.frames[st.curframe].regs[regno].s
    lo, hi = s.smin + off, s.umax + off
    if (0 <= lo < 0x80000000 and 0 <= hi < 0x80000000 and size > 0
            and s.umax < BPF_MAX_VAR_OFF and lo + size <= mem_size and hi + size <= mem_size):
        return      # the common case: both ends in range (their s32 is themselves)
    if s.smin < 0 and (s.smin == S64_MIN or off + s.smin != s32(off + s.smin)
                       or s.smin + off < 0):
        raise VerifierError(f"R{regno} min value is negative, either use unsigned index or do a "
                            f"if (index >=0) check.")
    lo = s32(s.smin + off)
    if not _mem_ok(lo, size, mem_size, zero_size_allowed):
        raise VerifierError(f"R{regno} min value is outside of the allowed memory range", EACCES,
                            (_mem_err(env, regno, lo, size, mem_size),))
    if s.umax >= BPF_MAX_VAR_OFF:
        raise VerifierError(f"R{regno} unbounded memory access, make sure to bounds check any "
                            f"such access")
    hi = s32(s.umax + off)
    if not _mem_ok(hi, size, mem_size, zero_size_allowed):
        raise VerifierError(f"R{regno} max value is outside of the allowed memory range", EACCES,
                            (_mem_err(env, regno, hi, size, mem_size),))


def check_map_access_type(env: Env, regno: int, off: int, size: int, write: bool) -> None:
    m = env.reg(regno).map
    if write and m.rdonly_prog:
        raise VerifierError(f"write into map forbidden, value_size={m.value_size} off={off} "
                            f"size={size}")
    if not write and m.wronly_prog:
        raise VerifierError(f"read from map forbidden, value_size={m.value_size} off={off} "
                            f"size={size}")


def check_map_access(env: Env, regno: int, off: int, size: int, zero_size_allowed: bool,
                     direct: bool = True):
    """kernel: check_map_access.  Returns the value's BTF record (verifier.local_obj), or
    None for a map whose value has no BTF."""
    st = env.cur
    reg = st.frames[st.curframe].regs[regno]        # env.reg
    m = reg.map
    check_mem_region_access(env, regno, off, size, m.value_size, zero_size_allowed)
    rec = None
    if m.value_btf:
        # __kptr fields, from the value's BTF record (verifier.local_obj)
        rec = LO.map_record(env, m)
        for f in rec.fields:
            if f.kind in LO.KPTR_KINDS and reg.s.smin + off < f.off + f.size \
                    and f.off < reg.s.umax + off + size:
                LO.check_kptr_access(env, reg, off, size, direct, f)
    for kind, p, fsize in m.value_fields:
        # any overlap of the access with a special field is refused
        if reg.s.smin + off < p + fsize and p < reg.s.umax + off + size:
            if kind.startswith("kptr") or kind == "uptr":
                if not direct:
                    raise VerifierError(f"{kind} cannot be accessed indirectly by helper")
                continue
            raise VerifierError(f"{kind} cannot be accessed directly by "
                                f"{'load/store' if direct else 'helper'}")
    return rec


def check_packet_access(env: Env, regno: int, off: int, size: int,
                        zero_size_allowed: bool) -> None:
    st = env.cur
    reg = st.frames[st.curframe].regs[regno]        # env.reg
    if reg.s.smin < 0:
        raise VerifierError(f"R{regno} min value is negative, either use unsigned index or do a "
                            f"if (index >=0) check.")
    if reg.range < 0 or not _mem_ok(off, size, reg.range, zero_size_allowed):
        pre = () if reg.range < 0 else (_mem_err(env, regno, off, size, reg.range),)
        raise VerifierError(f"R{regno} offset is outside of the packet", EACCES, pre)


def may_access_direct_pkt_data(env: Env, meta, write: bool) -> bool:
    ctx = env.ctx
    if ctx is None:
        return False
    if write and not ctx.direct_pkt_write:
        return False
    if not ctx.direct_pkt_read:
        return False
    if meta is not None:
        return meta.pkt_access or ctx.helper_pkt_any
    env.seen_direct_write = True
    return True


def check_ptr_off_reg(env: Env, reg: Reg, regno: int, fixed_off_ok: bool = False) -> None:
    """kernel: __check_ptr_off_reg."""
    if reg.off < 0:
        raise VerifierError(f"negative offset {T.type_str(reg.type)} ptr R{regno} "
                            f"off={reg.off} disallowed")
    if not fixed_off_ok and reg.off:
        raise VerifierError(f"dereference of modified {T.type_str(reg.type)} ptr R{regno} "
                            f"off={reg.off} disallowed")
    if reg.s.var_off.mask != 0 or reg.s.var_off.value:
        raise VerifierError(f"variable {T.type_str(reg.type)} access "
                            f"var_off={tnum_strn(reg.s.var_off)} disallowed")


def check_ctx_access(env: Env, off: int, size: int, write: bool, is_ldsx: bool = False) -> int:
    """kernel: check_ctx_access.  A sign-extending load (LDX MEMSX) may only read a field
    that is a number: sign-extending a packet pointer field (skb->data, xdp->data, ...) is
    an invalid context access, as this kernel answers."""
    ctx = env.ctx
    ok, reg_type = (False, T.SCALAR)
    if ctx is not None:
        attach = env.inp.expected_attach_type
        ok, reg_type = ctx.table.get((off, size, write, attach)) or ctx.access(off, size,
                                                                                write, attach)
    if ok and is_ldsx and reg_type != T.SCALAR:
        ok = False
    if not ok:
        raise VerifierError(f"invalid bpf_context access off={off} size={size}")
    return reg_type


def check_sock_access(env: Env, regno: int, off: int, size: int, write: bool) -> None:
    reg = env.reg(regno)
    if reg.s.smin < 0:
        raise VerifierError(f"R{regno} min value is negative, either use unsigned index or do a "
                            f"if (index >=0) check.")
    if not sock_ptr_is_valid_access(reg.type, off, size):
        raise VerifierError(f"R{regno} invalid {T.type_str(reg.type)} access off={off} "
                            f"size={size}")


def _direct_read(m, off: int, size: int, is_ldsx: bool) -> int:
    """kernel: bpf_map_direct_read - a load from frozen read-only global data."""
    data = (m.initial_value or b"").ljust(m.value_size, b"\0")
    if off < 0 or off + size > len(data):
        raise VerifierError(f"invalid access to map value pointer, value_size={m.value_size} "
                            f"off={off}", EINVAL)
    chunk = data[off:off + size]
    fmt = {1: "b", 2: "h", 4: "i", 8: "q"}[size]
    if not is_ldsx:
        fmt = fmt.upper()
    return struct.unpack("<" + fmt, chunk)[0]


# the kernel's check_generic_ptr_alignment pointer descriptions (built once, used only
# in the misaligned-access message)
_ALIGN_DESC = {T.PTR_TO_MAP_KEY: "key ", T.PTR_TO_MAP_VALUE: "value ", T.PTR_TO_CTX: "context ",
               T.PTR_TO_FLOW_KEYS: "flow keys ", T.PTR_TO_SOCKET: "sock ",
               T.PTR_TO_SOCK_COMMON: "sock_common ", T.PTR_TO_TCP_SOCK: "tcp_sock ",
               T.PTR_TO_XDP_SOCK: "xdp_sock ", T.PTR_TO_ARENA: ""}


def check_ptr_alignment(env: Env, reg: Reg, off: int, size: int, strict_once: bool) -> None:
    t = reg.type
    if t == T.PTR_TO_STACK:
        # always strict; a known offset is aligned when fp + off is (the tnum_add below,
        # for a constant var_off)
        vo = reg.s.var_off
        if not vo.mask and not ((vo.value + reg.off + off) & (size - 1)):
            return
    strict = env.strict_alignment or strict_once
    if not strict and t != T.PTR_TO_STACK:
        return      # what every branch below does when not strict (only the stack is always)
    if T.is_pkt_pointer(t):
        if not strict or size == 1:
            return
        reg_off = tnum_add(reg.s.var_off, tnum_const(2 + reg.off + off))
        if not tnum_is_aligned(reg_off, size):
            raise VerifierError(f"misaligned packet access off {2}+{tnum_strn(reg.s.var_off)}"
                                f"+{off}+{reg.off} size {size}")
        return
    if t == T.PTR_TO_ARENA:
        return
    if t == T.PTR_TO_STACK:
        strict = True
    if not strict or size == 1:
        return
    reg_off = tnum_add(reg.s.var_off, tnum_const(reg.off + off))
    if not tnum_is_aligned(reg_off, size):
        if t == T.PTR_TO_STACK:
            desc = "stack "
        elif T.base(t) == T.PTR_TO_BTF_ID:
            desc = ""
        else:
            desc = _ALIGN_DESC.get(t, "")
        raise VerifierError(f"misaligned {desc}access off {tnum_strn(reg.s.var_off)}+{reg.off}"
                            f"+{off} size {size}")


def _narrowed_unknown(coerce) -> dict:
    """{size: the unknown scalar register narrowed by ``coerce``} (constant data: a
    narrow load of an unknown value, the common case, gives one of these)."""
    out = {}
    for size in (1, 2, 4):
        s = coerce(UNKNOWN_SCALAR.s, size)
        out[size] = UNKNOWN_SCALAR if s is UNKNOWN_SCALAR.s else UNKNOWN_SCALAR.with_(s=s)
    return out


_NARROW_UNKNOWN = _narrowed_unknown(coerce_reg_to_size)
_NARROW_UNKNOWN_SX = _narrowed_unknown(coerce_reg_to_size_sx)


def check_mem_access(env: Env, regno: int, off: int, size: int, write: bool,
                     value_regno: int, strict_alignment_once: bool = False,
                     is_ldsx: bool = False, insn=None) -> None:
    st = env.cur
    regs = st.frames[st.curframe].regs
    reg = regs[regno]
    t = reg.type
    if t == _PTR_TO_STACK:
        vo = reg.s.var_off
        if not vo.mask:
            # the common stack access, at a constant offset: what check_ptr_alignment and
            # check_stack_access_within_bounds check, then the fixed-offset read / write
            off += reg.off
            v = vo.value
            fixed = (v - 0x10000000000000000 if v >> 63 else v) + off   # s64(var_off) + off
            if (not ((v + off) & (size - 1)) and -MAX_BPF_STACK <= fixed
                    and fixed + size <= 0 and size > 0):
                f = st.frames[reg.frameno]
                n = (-fixed + 7) >> 3                   # grow_stack_state, in whole slots
                stack = f.stack
                if n > len(stack):
                    stack += [EMPTY_SLOT] * (n - len(stack))     # Frame.grow_stack
                sp = env.subprogs[f.subprogno]
                if sp.stack_depth < n << 3:
                    sp.stack_depth = n << 3
                if write:
                    _write_fixed(env, f, fixed, size, value_regno, insn)
                else:
                    _read_fixed(env, f, fixed, size, value_regno)
                    if size < 8 and value_regno >= 0:
                        _narrow_load(regs, value_regno, size, is_ldsx)
                return
            off -= reg.off
    if t == _PTR_TO_STACK or env.strict_alignment or strict_alignment_once:
        check_ptr_alignment(env, reg, off, size, strict_alignment_once)
    # (otherwise check_ptr_alignment checks nothing: only the stack is always strict)
    off += reg.off
    b = t & T.BASE_MASK
    # (the cases test disjoint types: the context and the packet, the commonest accesses
    # of small programs after the stack's, come first, so they touch less bytecode)
    if t == _PTR_TO_CTX and getattr(env.ctx, "load", None) is not None:
        # a BTF-typed context (tp_btf, iter: verifier.btf_ctx)
        check_ptr_off_reg(env, reg, regno)
        r = env.ctx.load(env, off, size, write, is_ldsx)
        if not write and value_regno >= 0:
            regs[value_regno] = r
    elif t == _PTR_TO_CTX:
        vo = reg.s.var_off
        if reg.off or vo.mask or vo.value:
            check_ptr_off_reg(env, reg, regno)          # raises
        reg_type = check_ctx_access(env, off, size, write, is_ldsx)
        if not write and value_regno >= 0:
            if reg_type == T.SCALAR:
                regs[value_regno] = UNKNOWN_SCALAR
            elif reg_type & T.PTR_MAYBE_NULL:
                r = Reg(reg_type, _ZERO_SCALAR)
                r.id = env.new_id()
                regs[value_regno] = r
            else:
                regs[value_regno] = _ctx_ptr(reg_type)
    elif b == _PTR_TO_PACKET or b == _PTR_TO_PACKET_META:         # T.is_pkt_pointer(t)
        if write and not may_access_direct_pkt_data(env, None, True):
            raise VerifierError("cannot write into packet")
        check_packet_access(env, regno, off, size, False)
        if not write and value_regno >= 0:
            regs[value_regno] = UNKNOWN_SCALAR
    elif t == T.PTR_TO_STACK:
        ST.check_stack_access_within_bounds(env, regno, off, size, write)
        if write:
            ST.check_stack_write(env, regno, off, size, value_regno, insn)
        else:
            ST.check_stack_read(env, regno, off, size, value_regno)
    elif t == T.PTR_TO_MAP_KEY:
        if write:
            raise VerifierError(f"write to change key R{regno} not allowed")
        check_mem_region_access(env, regno, off, size, reg.map.key_size, False)
        if value_regno >= 0:
            regs[value_regno] = UNKNOWN_SCALAR
    elif t == _PTR_TO_MAP_VALUE:
        m = reg.map
        if m.flags & _RDWR_ONLY_PROG:
            check_map_access_type(env, regno, off, size, write)
        rec = check_map_access(env, regno, off, size, False)
        field = None
        vo = reg.s.var_off
        if rec is not None and rec.fields and vo.mask == 0:
            field = LO.kptr_field(rec, off + vo.value)
        if field is not None:
            LO.check_map_kptr_access(env, regno, value_regno, insn, field, check_ptr_off_reg)
        elif not write and value_regno >= 0:
            if (vo.mask == 0 and m.flags & BPF_F_RDONLY_PROG and m.frozen
                    and m.type_id == 2 and m.kind == "data"):
                val = _direct_read(m, off + s64(vo.value), size, is_ldsx)
                regs[value_regno] = Reg(T.SCALAR, Scalar.const(val))
            else:
                regs[value_regno] = UNKNOWN_SCALAR
    elif b == T.PTR_TO_MEM:
        rdonly = bool(t & T.MEM_RDONLY)
        if t & T.PTR_MAYBE_NULL:
            raise VerifierError(f"R{regno} invalid mem access '{T.type_str(t)}'")
        if write and rdonly:
            raise VerifierError(f"R{regno} cannot write into {T.type_str(t)}")
        if not (rdonly and t & T.PTR_UNTRUSTED):
            check_mem_region_access(env, regno, off, size, reg.mem_size, False)
        if value_regno >= 0 and (not write or rdonly):
            regs[value_regno] = UNKNOWN_SCALAR
    elif t == T.PTR_TO_FLOW_KEYS:
        # kernel: check_flow_keys_access (struct bpf_flow_keys)
        if write and value_regno >= 0 and env.is_pointer_value(value_regno):
            raise VerifierError(f"R{value_regno} leaks addr into flow keys")
        if off < 0 or off + size > FLOW_KEYS_SIZE:
            raise VerifierError(f"invalid access to flow keys off={off} size={size}")
        if not write and value_regno >= 0:
            regs[value_regno] = UNKNOWN_SCALAR
    elif T.is_sk_pointer(t):
        if write:
            raise VerifierError(f"R{regno} cannot write into {T.type_str(t)}")
        check_sock_access(env, regno, off, size, write)
        if value_regno >= 0:
            regs[value_regno] = UNKNOWN_SCALAR
    elif t == T.CONST_PTR_TO_MAP:
        check_ptr_to_map_access(env, regno, off, size, write, value_regno)
    elif t == T.PTR_TO_ARENA:
        if not write and value_regno >= 0:
            regs[value_regno] = UNKNOWN_SCALAR
    elif b == T.PTR_TO_BTF_ID and not t & T.PTR_MAYBE_NULL:
        # kernel objects described by the kernel BTF (verifier.btf_access)
        if t & T.MEM_ALLOC:
            LO.local_access(env, regno, off, size, write, value_regno)   # verifier.local_obj
        else:
            btf_id_access(env, regno, off, size, write, value_regno)
    else:
        raise VerifierError(f"R{regno} invalid mem access '{T.type_str(t)}'")
    if size < 8 and value_regno >= 0 and not write:
        if regs[value_regno] is UNKNOWN_SCALAR:     # _narrow_load's common case, inline
            regs[value_regno] = (_NARROW_UNKNOWN_SX if is_ldsx else _NARROW_UNKNOWN)[size]
        else:
            _narrow_load(regs, value_regno, size, is_ldsx)


# type -> the pointer a context field of that type loads (packet data, end, meta...):
# one register per type, shared as registers are (never changed once stored)
_CTX_PTRS: dict[int, Reg] = {}
_ZERO_SCALAR = Scalar.const(0)


def _ctx_ptr(reg_type: int) -> Reg:
    r = _CTX_PTRS.get(reg_type)
    if r is None:
        r = _CTX_PTRS[reg_type] = Reg(reg_type, _ZERO_SCALAR)
    return r


def _narrow_load(regs: list, value_regno: int, size: int, is_ldsx: bool) -> None:
    """A load narrower than 8 bytes: the value read is truncated (coerce_reg_to_size) or
    sign-extended (coerce_reg_to_size_sx, LDX MEMSX) to ``size`` bytes."""
    r = regs[value_regno]
    if r is UNKNOWN_SCALAR and size in _NARROW_UNKNOWN:
        regs[value_regno] = (_NARROW_UNKNOWN_SX if is_ldsx else _NARROW_UNKNOWN)[size]
    elif r.type == T.SCALAR:
        s = coerce_reg_to_size_sx(r.s, size) if is_ldsx else coerce_reg_to_size(r.s, size)
        if s is not r.s:
            regs[value_regno] = r.with_(s=s)


_MAP_STRUCT = {"array": "bpf_array", "percpu_array": "bpf_array", "prog_array": "bpf_array",
               "perf_event_array": "bpf_array", "cgroup_array": "bpf_array",
               "array_of_maps": "bpf_array", "hash": "bpf_htab", "percpu_hash": "bpf_htab",
               "lru_hash": "bpf_htab", "lru_percpu_hash": "bpf_htab", "hash_of_maps": "bpf_htab",
               "ringbuf": "bpf_ringbuf_map", "user_ringbuf": "bpf_ringbuf_map",
               "lpm_trie": "lpm_trie", "stack_trace": "bpf_stack_map", "queue": "bpf_queue_stack",
               "stack": "bpf_queue_stack", "devmap": "bpf_dtab", "devmap_hash": "bpf_dtab",
               "cpumap": "bpf_cpu_map", "xskmap": "xsk_map", "sockmap": "bpf_stab",
               "sockhash": "bpf_shtab", "bloom_filter": "bpf_bloom_filter",
               "arena": "bpf_arena"}


def check_ptr_to_map_access(env: Env, regno: int, off: int, size: int, write: bool,
                            value_regno: int) -> None:
    """kernel: check_ptr_to_map_access - root may read ``struct bpf_map``
    fields through a map pointer (BTF-typed; modelled as unknown scalars)."""
    m = env.reg(regno).map
    tname = _MAP_STRUCT.get(m.map_type) if m is not None else None
    if tname is None:
        raise VerifierError(f"map_ptr access not supported for map type "
                            f"{m.type_id if m else 0}", 524)
    if off < 0:
        raise VerifierError(f"R{regno} is {tname} invalid negative access: off={off}")
    if write:
        raise VerifierError(f"only read from {tname} is supported")
    if value_regno >= 0:
        env.regs[value_regno] = UNKNOWN_SCALAR


def _reg_type_mismatch_ok(t: int) -> bool:
    return T.base(t) not in (T.PTR_TO_CTX, T.PTR_TO_SOCKET, T.PTR_TO_SOCK_COMMON,
                             T.PTR_TO_TCP_SOCK, T.PTR_TO_XDP_SOCK, T.PTR_TO_BTF_ID,
                             T.PTR_TO_ARENA)


def save_aux_ptr_type(env: Env, t: int) -> None:
    aux = env.aux[env.insn_idx]
    prev = aux.ptr_type
    if prev == t:
        return
    if prev == T.NOT_INIT:
        aux.ptr_type = t
    elif t != prev and (not _reg_type_mismatch_ok(t) or not _reg_type_mismatch_ok(prev)):
        raise VerifierError("same insn cannot be used with different pointers", EINVAL)


# check_ldx / check_stx / check_st read their operands as check_reg_arg_src does, inline
# (one call fewer per load or store): a register above r10 or not initialised goes to
# check_reg_arg_src itself, which raises its error


def check_ldx(env: Env, insn) -> None:
    code = insn.code
    src, dst = insn.src, insn.dst
    st = env.cur
    if src > 10 or (src_type := st.frames[st.curframe].regs[src].type) == _NOT_INIT:
        check_reg_arg_src(env, src)                     # raises
    if dst >= 10:
        env.scratched_regs |= 1 << src
        check_reg_arg_dst(env, dst, mark=False)         # raises
    env.scratched_regs |= (1 << src) | (1 << dst)
    check_mem_access(env, src, insn.off, _SIZE[code & 0x18], False, dst, False,
                     (code & 0xE0) == _MEMSX, insn)
    aux = env.aux[env.insn_idx]                     # save_aux_ptr_type, first visit inline
    if aux.ptr_type == _NOT_INIT:
        aux.ptr_type = src_type
    elif aux.ptr_type != src_type:
        save_aux_ptr_type(env, src_type)


def check_stx(env: Env, insn) -> None:
    code = insn.code
    if (code & 0xE0) != _MEM or insn.imm != 0:
        raise VerifierError("BPF_STX uses reserved fields", EINVAL)
    src, dst = insn.src, insn.dst
    st = env.cur
    regs = st.frames[st.curframe].regs
    if src > 10 or regs[src].type == _NOT_INIT:
        check_reg_arg_src(env, src)                     # raises
    if dst > 10 or (dst_type := regs[dst].type) == _NOT_INIT:
        env.scratched_regs |= 1 << src
        check_reg_arg_src(env, dst)                     # raises
    env.scratched_regs |= (1 << src) | (1 << dst)
    check_mem_access(env, dst, insn.off, _SIZE[code & 0x18], True, src, False, False, insn)
    aux = env.aux[env.insn_idx]                     # save_aux_ptr_type, first visit inline
    if aux.ptr_type == _NOT_INIT:
        aux.ptr_type = dst_type
    elif aux.ptr_type != dst_type:
        save_aux_ptr_type(env, dst_type)


def check_st(env: Env, insn) -> None:
    code = insn.code
    if (code & 0xE0) != _MEM or insn.src != 0:
        raise VerifierError("BPF_ST uses reserved fields", EINVAL)
    dst = insn.dst
    st = env.cur
    if dst > 10 or (dst_type := st.frames[st.curframe].regs[dst].type) == _NOT_INIT:
        check_reg_arg_src(env, dst)                     # raises
    env.scratched_regs |= 1 << dst
    check_mem_access(env, dst, insn.off, _SIZE[code & 0x18], True, -1, False, False, insn)
    aux = env.aux[env.insn_idx]                     # save_aux_ptr_type, first visit inline
    if aux.ptr_type == _NOT_INIT:
        aux.ptr_type = dst_type
    elif aux.ptr_type != dst_type:
        save_aux_ptr_type(env, dst_type)


def check_ld_abs(env: Env, insn) -> None:
    mode = insn.code & 0xE0
    if env.ctx is None or not env.ctx.may_access_skb:
        raise VerifierError("BPF_LD_[ABS|IND] instructions not allowed for this program type",
                            EINVAL)
    if (insn.dst != 0 or insn.off != 0 or (insn.code & 0x18) == op.DW
            or (mode == op.ABS and insn.src != 0)):
        raise VerifierError("BPF_LD_[ABS|IND] uses reserved fields", EINVAL)
    check_reg_arg_src(env, 6)
    check_resource_leak(env, False, True, "BPF_LD_[ABS|IND]")
    regs = env.regs
    if regs[6].type != T.PTR_TO_CTX:
        raise VerifierError("at the time of BPF_LD_ABS|IND R6 != pointer to skb", EINVAL)
    if mode == op.IND:
        check_reg_arg_src(env, insn.src)
    check_ptr_off_reg(env, regs[6], 6)
    for r in range(0, 6):
        regs[r] = NOT_INIT_REG
        env.scratch_reg(r)
    regs[0] = UNKNOWN_SCALAR


# the helpers that return a tcp_sock pointer (bpf_tcp_sock): the only source of a
# PTR_TO_TCP_SOCK register (helper_ret), read off the prototypes
TCP_SOCK_HELPERS = frozenset([fid for fid, p in HELPERS.items() if p.ret == RET_PTR_TO_TCP_SOCK]
                             + [fid for (_, fid), p in TYPE_HELPERS.items()
                                if p.ret == RET_PTR_TO_TCP_SOCK])


def convert_ctx_accesses(env: Env) -> None:
    """kernel: convert_ctx_accesses, after verification - every accepted load from a
    socket struct is rewritten field by field.  A u32 read of the upper half of
    bpf_tcp_sock's u64 fields passes bpf_tcp_sock_is_valid_access but has no
    rewrite, and the kernel refuses the program then.  Only a load through a tcp_sock
    pointer can fail, so the driver calls this only for a program with a helper call
    in :data:`TCP_SOCK_HELPERS`."""
    aux = env.aux
    ldx = op.LDX
    for i, insn in enumerate(env.insns):
        if (insn.code & 7 == ldx and insn.off - 4 in _TCP_SOCK_U64
                and T.base(aux[i].ptr_type) == T.PTR_TO_TCP_SOCK):
            raise VerifierError("verifier bug: error during ctx access conversion (0)",
                                EFAULT)
