"""Pointers to kernel objects (PTR_TO_BTF_ID): their types, trust and field loads.

Kernel counterparts: ``check_ptr_to_btf_access`` and ``mark_btf_ld_reg`` (verifier.c),
``btf_struct_access`` / ``btf_struct_walk`` / ``btf_nested_type_is_trusted`` /
``btf_struct_ids_match`` (btf.c).

A PTR_TO_BTF_ID register names its type by (``reg.btf``, ``reg.btf_id``), as the kernel's
``reg->btf`` / ``reg->btf_id``, with ``reg.btf_name`` the struct's name for the log:

- ``reg.btf`` is a ``btf.Btf``: the *target* BTF (``VerifierInput.target_btf``, the kernel the
  program is loaded for: tp_btf/iter context arguments, ``bpf_get_current_task_btf``,
  ``bpf_skc_to_*``), or the program's own BTF for its local objects;
- ``reg.btf is None`` is the mock kernel's BTF (``VerifierInput.kernel_btf``: kfunc returns),
  with ``btf_id == 0`` meaning "the struct called ``btf_name``".

API for other modules: :func:`btf_ptr` builds such a register, :func:`reg_btf_type` gives
``(btf, struct type)`` of one, :func:`struct_ids_match` is the kernel's type check of a helper
or kfunc argument (a pointer to a struct also points to its first member, recursively),
:func:`btf_id_access` is a load or store through one.  Kernel objects are never written
(``only read is supported``).  Pointers loaded from members inherit trust the kernel's way:
the ``<struct>__safe_trusted`` / ``__safe_rcu`` / ``..._or_null`` allow lists are read from the
target BTF itself (the kernel emits them into vmlinux BTF), everything else walked from a
trusted or RCU pointer is a plain (``ptr_``) or, outside an RCU section, untrusted pointer.
"""

from __future__ import annotations

from btf import layout as L
from btf.errors import BtfError
from verifier import regtypes as T
from verifier.env import Env
from verifier.errors import EACCES, EINVAL, VerifierError
from verifier.scalar import Scalar
from verifier.state import UNKNOWN_SCALAR, Reg
from verifier.tnum import tnum_strn

_MODS = (L.TYPEDEF, L.VOLATILE, L.CONST, L.RESTRICT, L.TYPE_TAG)
_TRUSTED_MODIFIERS = T.MEM_ALLOC | T.PTR_TRUSTED
_FLAG_MASK = ~T.BASE_MASK


def skip_mods(btf, tid: int):
    """The type ``tid`` names with typedefs and qualifiers skipped."""
    t = btf.types[tid]
    while t.kind in _MODS:
        t = btf.types[t.type]
    return t


# --- registers -------------------------------------------------------------------------

def btf_ptr(btf, tid: int, flags: int = 0) -> Reg:
    """A PTR_TO_BTF_ID | ``flags`` to type ``tid`` (modifiers skipped) of ``btf``, offset 0
    (kernel: mark_reg_known_zero + reg->btf/btf_id).  The caller gives a maybe-NULL one
    its id."""
    t = skip_mods(btf, tid)
    return Reg(T.PTR_TO_BTF_ID | flags, Scalar.const(0), btf=btf, btf_id=t.id, btf_name=t.name)


def reg_btf_type(env: Env, reg: Reg):
    """(btf, struct/union type) a PTR_TO_BTF_ID register points to, or (btf, None)."""
    btf = reg.btf
    if btf is None:
        kernel = env.inp.kernel_btf
        if kernel is None:
            return None, None
        btf = kernel.btf
    if reg.btf_id:
        return btf, btf.types[reg.btf_id]
    for t in btf.find(reg.btf_name):
        if t.kind in (L.STRUCT, L.UNION):
            return btf, t
    return btf, None


def struct_ids_match(btf, t, off: int, want_name: str, strict: bool = False) -> bool:
    """kernel: btf_struct_ids_match - a pointer to struct ``t`` (of ``btf``, the register's
    own BTF) at ``off`` is a pointer to struct ``want_name`` if it is that struct, or (not
    ``strict``) the struct nested at ``off`` in it, at any depth (a ``struct sock *`` is a
    ``struct sock_common *``; a ``struct bpf_cpumask *`` passes for its first member,
    ``struct cpumask *``).  Structs are matched by name, as types of two BTFs (the
    program's target and the mock kernel's) are."""
    if t is None:
        return False
    if off == 0 and t.name == want_name:
        return True
    if strict:
        return False
    while t.kind == L.STRUCT:
        m = next((m for m in t.members if not m.bitfield_size and m.bits_offset % 8 == 0
                  and m.bits_offset // 8 <= off < m.bits_offset // 8 + _size(btf, m.type)),
                 None)
        if m is None:
            return False
        mt = skip_mods(btf, m.type)
        if mt.kind != L.STRUCT:
            return False            # a scalar, pointer or array there: not a nested object
        off -= m.bits_offset // 8
        if off == 0 and mt.name == want_name:
            return True
        t = mt
    return False


def _size(btf, tid: int) -> int:
    try:
        return btf.size_of(tid)
    except Exception:  # noqa: BLE001 - an unsized member holds no nested object
        return 0


# --- the walk (kernel: btf_struct_walk) ---------------------------------------------------

class Walk:
    """The outcome of a load through a struct: a scalar or a pointer to ``next_id``."""
    __slots__ = ("ptr", "next_id", "flag", "field")

    def __init__(self, ptr: bool, next_id: int = 0, flag: int = 0, field: str = ""):
        self.ptr, self.next_id, self.flag, self.field = ptr, next_id, flag, field


def struct_access(btf, tid: int, off: int, size: int, flag: int = 0) -> Walk:
    """kernel: btf_struct_access - walk nested structs and arrays down to the member an
    access of ``size`` bytes at ``off`` reads; VerifierError with the kernel's message."""
    t = btf.types[tid]
    for _ in range(64):
        kind, val, flag = _walk(btf, t, off, size, flag)
        if kind == "ptr":
            return Walk(True, val[0], flag, val[1])
        if kind == "scalar":
            return Walk(False, 0, flag)
        t, off = btf.types[val], 0                   # a whole nested struct: descend
    raise VerifierError("access beyond struct (walk too deep)", EINVAL)


def _walk(btf, t, off: int, size: int, flag: int):
    for _ in range(64):
        if t.kind in _MODS:
            t = skip_mods(btf, t.id)
        tname = t.name
        if t.kind not in (L.STRUCT, L.UNION):
            raise VerifierError(f"Type '{tname}' is not a struct", EINVAL)
        members = t.members
        if t.kind == L.UNION and len(members) != 1 and not flag & T.PTR_UNTRUSTED:
            flag |= T.PTR_UNTRUSTED            # walking unions yields untrusted pointers
        if off + size > t.size:
            nxt = _flex_array(btf, t, off, size)
            if nxt is None:
                raise VerifierError(f"access beyond struct {tname} at off {off} size {size}",
                                    EACCES)
            if nxt == "scalar":
                return "scalar", None, flag
            t, off = nxt
            continue
        descended = False
        for m in members:
            moff = m.bits_offset // 8
            if off + size <= moff:
                break
            if m.bitfield_size:
                end_bit = m.bits_offset + m.bitfield_size
                if off <= moff and (end_bit + 7) // 8 <= off + size:
                    return "scalar", None, flag
                continue
            if off < moff:
                break
            try:
                msize = btf.size_of(m.type)
            except BtfError:
                raise VerifierError(f"field {m.name} doesn't have size", 14) from None
            mtype, mid = skip_mods(btf, m.type), None
            mend = moff + msize
            if off >= mend:
                continue
            if mtype.kind == L.ARRAY:
                if moff == mend:
                    continue                          # a flexible array member: next one
                elem, nelems = mtype, 1
                while elem.kind == L.ARRAY:
                    et, _, n = elem.array
                    nelems *= n
                    elem = skip_mods(btf, et)
                esize = msize // nelems
                moff += (off - moff) // esize * esize
                mtype = elem
                msize = esize                 # (the end checked below stays the array's)
            if mtype.kind in (L.STRUCT, L.UNION):
                if off == moff:
                    mid = mtype.id
                    return "struct", mid, flag
                t, off = mtype, off - moff
                descended = True
                break
            if mtype.kind == L.PTR:
                if msize != size or off != moff:
                    raise VerifierError(f"cannot access ptr member {m.name} with moff {moff} in "
                                        f"struct {tname} with off {off} size {size}", EACCES)
                tag = btf.types[mtype.type] if mtype.type else None
                pflag = 0
                if tag is not None and tag.kind == L.TYPE_TAG:
                    pflag = {"user": T.MEM_USER, "percpu": T.MEM_PERCPU,
                             "rcu": T.MEM_RCU}.get(tag.name, 0)
                st = skip_mods(btf, mtype.type) if mtype.type else btf.types[0]
                if st.kind in (L.STRUCT, L.UNION):
                    return "ptr", (st.id, m.name), flag | pflag
            if off + size > mend and not flag & T.PTR_UNTRUSTED:
                raise VerifierError(f"access beyond the end of member {m.name} (mend:{mend}) in "
                                    f"struct {tname} with off {off} size {size}", EACCES)
            return "scalar", None, flag
        if descended:
            continue
        raise VerifierError(f"struct {tname} doesn't have field at offset {off}", EINVAL)
    raise VerifierError("access beyond struct (walk too deep)", EINVAL)


def _flex_array(btf, t, off: int, size: int):
    """An access past a struct's end that lands in its trailing flexible array: "scalar",
    (element struct, offset inside it), or None."""
    if not t.members:
        return None
    last = t.members[-1]
    mt = skip_mods(btf, last.type)
    if mt.kind != L.ARRAY or mt.array[2] != 0:
        return None
    moff = last.bits_offset // 8
    if off < moff:
        return None
    et = skip_mods(btf, mt.array[0])
    if et.kind == L.INT:
        return "scalar"
    if et.kind not in (L.STRUCT, L.UNION) or not et.size:
        return None
    return et, (off - moff) % et.size


# --- trust (kernel: type_is_trusted & co., btf_nested_type_is_trusted) -----------------

def _listed(btf, owner: str, field: str, target_id: int, suffix: str) -> bool:
    safe = btf.find_one(owner + suffix, L.STRUCT)
    if safe is None or not field:
        return False
    want = skip_mods(btf, target_id).name
    for m in safe.members:
        if m.name != field:
            continue
        pt = skip_mods(btf, m.type)
        if pt.kind == L.PTR and pt.type and skip_mods(btf, pt.type).name == want:
            return True
    return False


def is_trusted_reg(reg: Reg) -> bool:
    """kernel: is_trusted_reg (for PTR_TO_BTF_ID registers)."""
    if reg.ref_obj_id:
        return True
    flags = reg.type & _FLAG_MASK
    return bool(flags & _TRUSTED_MODIFIERS) and not flags & ~_TRUSTED_MODIFIERS


def _in_rcu_cs(env: Env) -> bool:
    cur = env.cur
    return bool(cur.active_rcu_lock or cur.active_locks or not cur.in_sleepable)


def _loaded_flag(env: Env, reg: Reg, btf, owner: str, w: Walk) -> int:
    """The flags of a pointer loaded from a member (kernel: check_ptr_to_btf_access)."""
    flag = w.flag
    if reg.type & T.PTR_UNTRUSTED:
        return T.PTR_UNTRUSTED
    if is_trusted_reg(reg) or reg.type & T.MEM_RCU:
        if _listed(btf, owner, w.field, w.next_id, "__safe_trusted"):
            return flag | T.PTR_TRUSTED
        if _listed(btf, owner, w.field, w.next_id, "__safe_trusted_or_null"):
            return flag | T.PTR_TRUSTED | T.PTR_MAYBE_NULL
        if _in_rcu_cs(env) and not reg.type & T.PTR_MAYBE_NULL:
            rcu_or_null = _listed(btf, owner, w.field, w.next_id, "__safe_rcu_or_null")
            if _listed(btf, owner, w.field, w.next_id, "__safe_rcu"):
                return flag | T.MEM_RCU
            if flag & T.MEM_RCU or rcu_or_null:
                flag |= T.MEM_RCU | T.PTR_MAYBE_NULL
                if rcu_or_null:
                    flag &= ~T.PTR_UNTRUSTED
                return flag
            if flag & (T.MEM_PERCPU | T.MEM_USER):
                return flag
            # 6.12 leaves other walked pointers plain; this kernel (6.18) marks them
            # untrusted (measured: task->mm in tp_btf)
            return (flag & ~(_TRUSTED_MODIFIERS | T.MEM_RCU)) | T.PTR_UNTRUSTED
        return T.PTR_UNTRUSTED
    # a plain (old-style) pointer: 6.12 keeps the walked pointer plain, this kernel (6.18)
    # marks it untrusted (measured: file->f_path.dentry, socket->sk from bpf_sock_from_file)
    return (flag & ~(_TRUSTED_MODIFIERS | T.MEM_RCU)) | T.PTR_UNTRUSTED


# --- loads and stores (kernel: check_ptr_to_btf_access) -----------------------------------

def check_ptr_offset(reg: Reg, regno: int, tname: str, off: int) -> None:
    """kernel: check_ptr_to_btf_access's first checks, for kernel and program-allocated
    objects alike: a constant, non-negative offset into memory the program may touch."""
    if off < 0:
        raise VerifierError(f"R{regno} is ptr_{tname} invalid negative access: off={off}",
                            EACCES)
    if reg.s.var_off.mask or reg.s.var_off.value:
        raise VerifierError(f"R{regno} is ptr_{tname} invalid variable offset: off={off}, "
                            f"var_off={tnum_strn(reg.s.var_off)}", EACCES)
    if reg.type & T.MEM_USER:
        raise VerifierError(f"R{regno} is ptr_{tname} access user memory: off={off}", EACCES)
    if reg.type & T.MEM_PERCPU:
        raise VerifierError(f"R{regno} is ptr_{tname} access percpu memory: off={off}", EACCES)


def btf_id_access(env: Env, regno: int, off: int, size: int, write: bool,
                  value_regno: int) -> None:
    """kernel: check_ptr_to_btf_access with the default btf_struct_access: members read as
    the object's BTF describes them (scalars as unknown scalars, pointers to structs as
    PTR_TO_BTF_ID with the flags above); writes are refused."""
    reg = env.reg(regno)
    btf, st = reg_btf_type(env, reg)
    tname = st.name if st is not None else reg.btf_name
    if btf is None or st is None:
        raise VerifierError(f"R{regno} invalid mem access '{T.type_str(reg.type)}'")
    if not env.inp.gpl_compatible:
        raise VerifierError(f"Cannot access kernel 'struct {tname}' from non-GPL compatible "
                            f"program", EINVAL)
    check_ptr_offset(reg, regno, tname, off)
    if write:
        hook = getattr(env.ctx, "btf_struct_access", None)   # struct_ops: the ops' own rule
        if hook is None or reg.type & T.PTR_UNTRUSTED:
            raise VerifierError("only read is supported", EACCES)
        hook(env, reg, btf, st, off, size)
        return
    w = struct_access(btf, st.id, off, size)
    if value_regno < 0:
        return
    if not w.ptr:
        env.set_reg(value_regno, UNKNOWN_SCALAR)
        return
    flag = _loaded_flag(env, reg, btf, tname, w)
    r = btf_ptr(btf, w.next_id, flag)
    if flag & T.PTR_MAYBE_NULL:
        r.id = env.new_id()
    env.set_reg(value_regno, r)


# --- helpers (kernel: check_reg_type's PTR_TO_BTF_ID case, check_helper_call's
# RET_PTR_TO_BTF_ID case) ------------------------------------------------------------

def check_helper_btf_arg(env: Env, regno: int, want: str, release: bool = False) -> None:
    """A PTR_TO_BTF_ID passed where the helper expects a pointer to struct ``want``
    (``sock_common`` for ARG_PTR_TO_BTF_ID_SOCK_COMMON): the struct, or one that starts
    with it (strict for release arguments other than bpf_sk_release's)."""
    reg = env.reg(regno)
    if T.base(reg.type) != T.PTR_TO_BTF_ID:
        return
    btf, st = reg_btf_type(env, reg)
    have = st.name if st is not None else reg.btf_name
    ok = st is not None and (struct_ids_match(btf, st, reg.off, want) if not release
                             else have == want and not reg.off)
    if not ok:
        raise VerifierError(f"R{regno} is of type {have} but {want} is expected", EACCES)


def check_helper_mem_btf(env: Env, regno: int, arg_base: int, rdonly: bool,
                         name: str) -> None:
    """A trusted kernel object passed as helper memory (kernel: check_reg_type): only as
    memory the helper reads; map keys and values have no BTF type to check it against."""
    from verifier import helpers as H
    reg = env.reg(regno)
    if arg_base == H.ARG_PTR_TO_MEM:
        if not rdonly:
            raise VerifierError(f"{name}() may write into memory pointed by R{regno} "
                                f"type={T.type_str(reg.type)}", EACCES)
        return
    if arg_base in (H.ARG_PTR_TO_MAP_KEY, H.ARG_PTR_TO_MAP_VALUE):
        raise VerifierError("verifier internal error: missing arg compatible BTF ID", 14)
    raise VerifierError(f"R{regno} type={T.type_str(reg.type)} expected=fp, pkt, pkt_meta, "
                        f"map_key, map_value", EACCES)


def helper_ret_reg(env: Env, fn, func_id: int) -> Reg:
    """R0 of a RET_PTR_TO_BTF_ID helper: a pointer to ``fn.ret_btf`` in the target BTF."""
    btf = env.inp.target_btf
    name = fn.ret_btf
    if btf is None:
        raise VerifierError(f"helper {fn.name}#{func_id} returns a kernel object (struct "
                            f"{name}), typed by the kernel's BTF: load the object with a "
                            f"target BTF (--target-btf vmlinux)", 524)
    st = next((t for t in btf.find(name) if t.kind in (L.STRUCT, L.UNION)), None)
    if st is None:
        raise VerifierError(f"invalid return type {fn.ret} of func {fn.name}#{func_id}",
                            EINVAL)
    return btf_ptr(btf, st.id, fn.ret_flags & (T.PTR_MAYBE_NULL | T.PTR_TRUSTED))
