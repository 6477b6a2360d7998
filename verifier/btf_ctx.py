"""BTF-typed contexts of tracing programs: ``tp_btf/<tracepoint>`` and ``iter/<target>``.

Kernel counterparts: ``bpf_check_attach_target`` (verifier.c: the attach target's function
prototype), ``tracing_prog_is_valid_access`` (bpf_trace.c) and ``btf_ctx_access`` (btf.c),
plus the iterator targets' ``ctx_arg_info`` tables (``struct bpf_iter_reg`` in
kernel/bpf/*_iter.c and net/).

The context of such a program is an array of u64 arguments whose types come from the
*target* BTF (``VerifierInput.target_btf``: what libbpf resolves the attach name in):

- ``tp_btf/NAME``: the ``btf_trace_NAME`` typedef (a pointer to a prototype whose first
  argument, ``void *__data``, the program does not see);
- ``iter/NAME`` (and ``iter.s``): the ``bpf_iter_NAME`` function (``struct bpf_iter_meta
  *meta`` then the target's objects), with the target's ``ctx_arg_info`` deciding the
  objects' register types (mostly ``PTR_TO_BTF_ID_OR_NULL``).

A load of argument ``i`` gives a scalar for integer/enum/struct arguments and for
``void *``/``int *`` pointers, and a ``PTR_TO_BTF_ID`` (trusted for these two attach types;
maybe-NULL where the kernel's ``raw_tp_null_args`` table or a ``__nullable`` name says so)
for pointers to structs.  fentry/fexit/fmod_ret/lsm contexts are not modelled: refused by
name, as is a tracing program without a target BTF.  :func:`attach` builds the context
model (:class:`BtfCtx`) before the walk; ``mem.check_mem_access`` calls its :meth:`load`.
"""

from __future__ import annotations

from btf import layout as L
from verifier import regtypes as T
from verifier.btf_access import btf_ptr, skip_mods
from verifier.ctx import CtxModel
from verifier.errors import EINVAL, ENOTSUPP, VerifierError
from verifier.state import UNKNOWN_SCALAR

MAX_BPF_FUNC_ARGS = 12
_NULL = T.PTR_MAYBE_NULL
_TRUSTED = T.PTR_TRUSTED

# iterator targets: ctx member -> register flags of PTR_TO_BTF_ID (kernel: each
# bpf_iter_reg's ctx_arg_info); "buf"/"rdonly_buf" members are PTR_TO_BUF (not modelled)
ITER_ARGS = {
    "task": {"task": _NULL | _TRUSTED},
    "task_file": {"task": _NULL, "file": _NULL},
    "task_vma": {"task": _NULL, "vma": _NULL},
    "bpf_map": {"map": _NULL | _TRUSTED},
    "bpf_prog": {"prog": _NULL},
    "bpf_link": {"link": _NULL},
    "cgroup": {"cgroup": _NULL | _TRUSTED},
    "tcp": {"sk_common": _NULL | _TRUSTED},
    "udp": {"udp_sk": _NULL | _TRUSTED},
    "unix": {"unix_sk": _NULL},
    "netlink": {"sk": _NULL},
    "ipv6_route": {"rt": _NULL},
    "ksym": {"ksym": _NULL},
    "bpf_map_elem": {"key": "rdonly_buf", "value": "buf"},
    "bpf_sk_storage_map": {"sk": _NULL, "value": "buf"},
    "sockmap": {"key": "rdonly_buf", "sk": _NULL},
}

# kernel: raw_tp_null_args - tracepoint arguments that may be NULL (bit 4*i: argument i
# may be NULL; bit 4*i+1: it may be an ERR_PTR, so it loads as a scalar)
RAW_TP_NULL_ARGS = {
    "sched_pi_setprio": 0x10, "sched_process_wait": 0x1, "sched_stick_numa": 0x100,
    "sched_swap_numa": 0x100, "afs_make_fs_call": 0x10, "afs_make_fs_calli": 0x10,
    "afs_make_fs_call1": 0x10, "afs_make_fs_call2": 0x10, "afs_protocol_error": 0x1,
    "afs_flock_ev": 0x10, "cachefiles_lookup": 0x1 | 0x200, "cachefiles_unlink": 0x1,
    "cachefiles_rename": 0x1, "cachefiles_prep_read": 0x1, "cachefiles_mark_active": 0x1,
    "cachefiles_mark_failed": 0x1, "cachefiles_mark_inactive": 0x1,
    "cachefiles_vfs_error": 0x1, "cachefiles_io_error": 0x1, "cachefiles_ondemand_open": 0x1,
    "cachefiles_ondemand_copen": 0x1, "cachefiles_ondemand_close": 0x1,
    "cachefiles_ondemand_read": 0x1, "cachefiles_ondemand_cread": 0x1,
    "cachefiles_ondemand_fd_write": 0x1, "cachefiles_ondemand_fd_release": 0x1,
    "ext4_mballoc_discard": 0x10, "ext4_mballoc_free": 0x10, "fib_table_lookup": 0x100,
    "posix_lock_inode": 0x10, "fcntl_setlk": 0x10, "locks_remove_posix": 0x10,
    "flock_lock_inode": 0x10, "break_lease_noblock": 0x10, "break_lease_block": 0x10,
    "break_lease_unblock": 0x10, "generic_delete_lease": 0x10, "time_out_leases": 0x10,
    "host1x_cdma_push_gather": 0x10000, "mm_khugepaged_scan_pmd": 0x10,
    "mm_collapse_huge_page_isolate": 0x1, "mm_khugepaged_scan_file": 0x10,
    "mm_khugepaged_collapse_file": 0x10, "mm_page_alloc": 0x1, "mm_page_pcpu_drain": 0x1,
    "mm_page_alloc_zone_locked": 0x1, "netfs_failure": 0x10,
    "device_pm_callback_start": 0x10, "qdisc_dequeue": 0x1000, "rxrpc_recvdata": 0x1,
    "rxrpc_resend": 0x10, "signal_generate": 0x20, "signal_deliver": 0x20,
    "kfree_skb": 0x1000, "xs_stream_read_data": 0x1, "xprt_reserve_cong": 0x10,
    "xprt_release_cong": 0x10, "xprt_get_cong": 0x10, "xprt_put_cong": 0x10,
    "tcp_send_reset": 0x11, "tegra_dma_tx_status": 0x100, "tmigr_update_events": 0x1,
    "writeback_dirty_folio": 0x10, "folio_wait_writeback": 0x10, "mr_integ_alloc": 0x2000,
    "bpf_testmod_test_read": 0x0,
}

NEED_BTF = ("{kind} programs need the kernel's BTF (their context is typed by it): load "
            "the object with a target BTF (--target-btf vmlinux)")


class BtfCtx(CtxModel):
    """The context of a tp_btf or iter program (kernel: prog->aux->attach_func_proto)."""

    def __init__(self, kind: str, tname: str, btf, proto, ctx_args: dict,
                 null_mask: int = 0):
        super().__init__("tracing", "", 8 * MAX_BPF_FUNC_ARGS, lambda *a: (False, T.SCALAR))
        self.kind = kind               # "tp_btf" | "iter"
        self.tname = tname             # attach_func_name in the kernel's messages
        self.btf = btf
        self.proto = proto             # the target's FUNC_PROTO
        self.skip = 1 if kind == "tp_btf" else 0       # tp_btf: 'void *__data' is hidden
        self.params = proto.params[self.skip:]         # the arguments the program sees
        self.ctx_args = ctx_args       # ctx offset -> (reg flags | "buf"..., struct type id)
        self.null_mask = null_mask

    def _arg_index(self, off: int) -> int:
        """kernel: get_ctx_arg_idx over the whole prototype (``__data`` included for
        tp_btf, whose index then counts from the first visible argument, as the kernel's
        does); arguments take 8 bytes, structs rounded up to 8."""
        btf, end = self.btf, 0
        for i, p in enumerate(self.proto.params):
            t = skip_mods(btf, p.type)
            end += 8 if t.kind == L.PTR else (t.size + 7) // 8 * 8
            if off < end:
                return i
        n = len(self.proto.params)
        rt = skip_mods(btf, self.proto.type)
        end += 8 if rt.kind == L.PTR else (rt.size + 7) // 8 * 8 if rt.id else 0
        return n + (0 if off < end else 1)

    def load(self, env, off: int, size: int, write: bool, is_ldsx: bool):
        """The register a load of ``size`` bytes at ``off`` gives (kernel:
        tracing_prog_is_valid_access + btf_ctx_access + check_ctx_access's marking)."""
        bad = f"invalid bpf_context access off={off} size={size}"
        if off < 0 or off >= 8 * MAX_BPF_FUNC_ARGS or write or off % size:
            raise VerifierError(bad)
        btf, tname = self.btf, self.tname
        if off % 8:
            raise VerifierError(bad, lines=(f"func '{tname}' offset {off} is not multiple "
                                            f"of 8",))
        arg = self._arg_index(off)
        if arg >= len(self.params):
            # the return value slot exists for fexit/fmod_ret/lsm only
            raise VerifierError(bad, lines=(f"func '{tname}' doesn't have {arg + 1}-th "
                                            f"argument",))
        t = skip_mods(btf, self.params[arg].type)
        if t.kind in (L.INT, L.ENUM, L.ENUM64, L.STRUCT, L.UNION) and \
                (t.kind != L.INT or t.size <= 8):
            return UNKNOWN_SCALAR
        if t.kind != L.PTR:
            raise VerifierError(bad, lines=(
                f"func '{tname}' arg{arg} '{t.name}' has type {L.KIND_NAMES[t.kind]}. Only "
                f"pointer access is allowed",))
        if size != 8:
            raise VerifierError(bad, lines=(f"func '{tname}' size {size} must be 8",))
        info = self.ctx_args.get(off)
        if isinstance(info, tuple) and isinstance(info[0], str):
            raise VerifierError(f"iter/{self.tname.removeprefix('bpf_iter_')}: the "
                                f"{'read-only ' if info[0] == 'rdonly_buf' else ''}buffer "
                                f"argument at ctx offset {off} is not modelled", ENOTSUPP)
        if not t.type:
            return UNKNOWN_SCALAR             # void *: a scalar
        pointee = skip_mods(btf, t.type)
        if pointee.kind == L.INT:
            return UNKNOWN_SCALAR             # int *: a scalar
        if is_ldsx:
            raise VerifierError(bad)
        if info is not None:
            flags, tid = info
            return self._btf_reg(env, tid, flags)
        flags = T.PTR_TRUSTED
        if self.params[arg].name.endswith("__nullable"):
            flags |= T.PTR_MAYBE_NULL
        err_ptr = False
        if self.kind == "tp_btf":
            mask = self.null_mask
            if mask >> (4 * arg) & 1:
                flags |= T.PTR_MAYBE_NULL
            err_ptr = bool(mask >> (4 * arg) & 2)
        tag = btf.types[t.type]
        if tag.kind == L.TYPE_TAG:
            flags |= {"user": T.MEM_USER, "percpu": T.MEM_PERCPU}.get(tag.name, 0)
        if pointee.kind not in (L.STRUCT, L.UNION):
            raise VerifierError(bad, lines=(f"func '{tname}' arg{arg} type "
                                            f"{L.KIND_NAMES[pointee.kind]} is not a struct",))
        env.log.line(f"func '{tname}' arg{arg} has btf_id {pointee.id} type "
                     f"{L.KIND_NAMES[pointee.kind]} '{pointee.name}'")
        if err_ptr:
            env.log.write(f"marking pointer arg{arg} as scalar as it may encode error")
            return UNKNOWN_SCALAR
        return self._btf_reg(env, pointee.id, flags)

    def _btf_reg(self, env, tid: int, flags: int):
        r = btf_ptr(self.btf, tid, flags)
        if flags & T.PTR_MAYBE_NULL:
            r.id = env.new_id()
        return r


def attach(inp) -> BtfCtx | None:
    """The context model of a BTF-attached tracing program (kernel: check_attach_btf_id),
    or VerifierError naming what is not modelled or missing."""
    if inp.prog_type != "tracing":
        return None
    attach_type = inp.expected_attach_type
    name = inp.attach or ""
    kind = {"trace_raw_tp": "tp_btf", "trace_iter": "iter"}.get(attach_type)
    if kind is None:
        what = {"trace_fentry": "fentry", "trace_fexit": "fexit",
                "modify_return": "fmod_ret"}.get(attach_type, "BTF-attached tracing")
        raise VerifierError(f"{what} programs are not modelled (their context is the traced "
                            f"function's arguments)", ENOTSUPP)
    btf = inp.target_btf
    if btf is None:
        raise VerifierError(NEED_BTF.format(kind=kind), ENOTSUPP)
    if kind == "tp_btf":
        td = btf.find_one("btf_trace_" + name, L.TYPEDEF)
        if td is None:
            raise VerifierError(f"tp_btf/{name}: no tracepoint 'btf_trace_{name}' in the "
                                f"target BTF", EINVAL)
        ptr = btf.types[td.type]
        proto = btf.types[ptr.type] if ptr.kind == L.PTR else None
        if proto is None or proto.kind != L.FUNC_PROTO or not proto.params:
            raise VerifierError(f"attach_btf_id {td.id} is not a typedef of a function "
                                f"pointer", EINVAL)
        return BtfCtx(kind, name, btf, proto, {}, RAW_TP_NULL_ARGS.get(name, 0))
    fn = btf.find_one("bpf_iter_" + name, L.FUNC)
    if fn is None:
        raise VerifierError(f"iter/{name}: no iterator target 'bpf_iter_{name}' in the "
                            f"target BTF", EINVAL)
    if name not in ITER_ARGS:
        raise VerifierError(f"iter/{name}: this iterator target's context is not modelled",
                            ENOTSUPP)
    proto = btf.types[fn.type]
    params = proto.params
    ctx_args = {}
    want = ITER_ARGS[name]
    for i, p in enumerate(params):
        if p.name in want:
            t = skip_mods(btf, p.type)
            tid = skip_mods(btf, t.type).id if t.kind == L.PTR and t.type else 0
            ctx_args[8 * i] = (want[p.name], tid)
    if len(ctx_args) != len(want):
        raise VerifierError(f"iter/{name}: the target's arguments are not the modelled ones",
                            ENOTSUPP)
    return BtfCtx(kind, fn.name, btf, proto, ctx_args)


__all__ = ["BtfCtx", "attach", "ITER_ARGS", "RAW_TP_NULL_ARGS", "NEED_BTF"]
