"""Program context (R1 at entry): which fields each program type may access.

One ``is_valid_access(off, size, write, attach) -> (ok, reg_type)`` per
context layout, after the kernel's ``*_is_valid_access`` callbacks in
net/core/filter.c and kernel/trace/bpf_trace.c:

- ``struct __sk_buff`` for socket filters, tc (sched_cls/sched_act) and
  cgroup_skb, each with its own read/write field sets; ``data``,
  ``data_meta`` and ``data_end`` load as packet pointers where allowed;
- ``struct xdp_md`` for XDP (read only; data/data_meta/data_end pointers);
- ``struct pt_regs`` (kprobe), tracepoint and raw tracepoint buffers;
- ``struct __sk_buff`` as sk_skb and the lwt types see it (sk_skb_is_valid_access,
  lwt_is_valid_access), ``struct sk_msg_md`` (sk_msg_is_valid_access),
  ``struct bpf_sk_lookup`` (sk_lookup_is_valid_access) and ``struct bpf_sock_ops``
  (sock_ops_is_valid_access);
- ``struct bpf_sock`` for cgroup_sock (sock_filter_is_valid_access), ``struct
  bpf_sock_addr`` (sock_addr_is_valid_access, fields by attach type), ``struct
  bpf_sysctl``, ``struct bpf_cgroup_dev_ctx`` and ``struct bpf_sockopt``
  (kernel/bpf/cgroup.c; optval..optval_end is packet memory);
- ``struct __sk_buff`` as flow_dissector sees it (data, data_end, flow_keys only) and
  ``struct sk_reuseport_md`` (sk_reuseport_is_valid_access);
- loads through socket pointers (``struct bpf_sock`` / ``bpf_tcp_sock`` / ``bpf_xdp_sock``,
  sock_ptr_is_valid_access).

Each type's answers are kept in a per-process table (``CtxModel.access``): they depend
only on the access and the constant layouts here.

A failed check becomes ``invalid bpf_context access off=N size=M``.
"""

from __future__ import annotations

from verifier import regtypes as T

# struct __sk_buff / struct xdp_md field offsets (include/uapi/linux/bpf.h)
from isa.uapi import SKB_OFFSETS as SKB, SKB_SIZE, XDP_MD_OFFSETS as XDP, XDP_MD_SIZE as XDP_SIZE
from isa.uapi import (SK_LOOKUP_OFFSETS as SKL, SK_LOOKUP_SIZE, SK_MSG_MD_OFFSETS as MSG,
                      SK_MSG_MD_SIZE, SOCK_OPS_OFFSETS as OPS, SOCK_OPS_SIZE)
from isa.uapi import (BPF_SOCK_SIZE, BPF_SYSCTL_SIZE, CGROUP_DEV_CTX_SIZE,
                      SOCK_ADDR_OFFSETS as SA, SOCK_ADDR_SIZE, SOCKOPT_OFFSETS as SO,
                      SOCKOPT_SIZE, SK_REUSEPORT_MD_OFFSETS as RP, SK_REUSEPORT_MD_SIZE)
PT_REGS_SIZE = 168
PERF_MAX_TRACE_SIZE = 2048


def _in(off: int, field: str, size: int = 4) -> bool:
    start = SKB[field]
    return start <= off < start + size


def _cb(off: int) -> bool:
    return SKB["cb"] <= off < SKB["cb"] + 20


def _family_to_local_port(off: int) -> bool:
    return SKB["family"] <= off < SKB["local_port"] + 4


def _narrow_ok(off: int, size: int, size_default: int) -> bool:
    return size <= size_default and (size & (size - 1)) == 0


def skb_is_valid_access(off: int, size: int, write: bool):
    """kernel: bpf_skb_is_valid_access (shared by every __sk_buff user)."""
    if off < 0 or off >= SKB_SIZE:
        return False, T.SCALAR
    if off % size != 0:
        return False, T.SCALAR
    reg_type = T.SCALAR
    if _cb(off):
        if off + size > SKB["cb"] + 20:
            return False, reg_type
    elif (SKB["remote_ip6"] <= off < SKB["local_ip6"] + 16 or _in(off, "remote_ip4")
          or _in(off, "local_ip4") or _in(off, "data") or _in(off, "data_meta")
          or _in(off, "data_end")):
        if size != 4:
            return False, reg_type
    elif SKB["flow_keys"] <= off < SKB["flow_keys"] + 8:
        return False, reg_type
    elif SKB["hwtstamp"] <= off < SKB["hwtstamp"] + 8:
        if write or size != 8:
            return False, reg_type
    elif SKB["tstamp"] <= off < SKB["tstamp"] + 8:
        if size != 8:
            return False, reg_type
    elif off == SKB["sk"]:
        if write or size != 8:
            return False, reg_type
        reg_type = T.PTR_TO_SOCK_COMMON | T.PTR_MAYBE_NULL
    elif SKB["sk"] < off < SKB["sk"] + 8:
        return False, reg_type
    elif off == SKB["tstamp_type"]:
        return False, reg_type
    elif SKB["tstamp_type"] + 1 <= off < SKB["hwtstamp"]:
        return False, reg_type
    else:
        if write:
            if size != 4:
                return False, reg_type
        elif not _narrow_ok(off, size, 4):
            return False, reg_type
    return True, reg_type


def sk_filter_is_valid_access(off, size, write, attach):
    if (_in(off, "tc_classid") or _in(off, "data") or _in(off, "data_meta")
            or _in(off, "data_end") or _family_to_local_port(off)
            or SKB["tstamp"] <= off < SKB["tstamp"] + 8 or _in(off, "wire_len")
            or SKB["hwtstamp"] <= off < SKB["hwtstamp"] + 8):
        return False, T.SCALAR
    if write and not _cb(off):
        return False, T.SCALAR
    return skb_is_valid_access(off, size, write)


def tc_is_valid_access(off, size, write, attach):
    if write:
        if not (_in(off, "mark") or _in(off, "tc_index") or _in(off, "priority")
                or _in(off, "tc_classid") or _cb(off)
                or SKB["tstamp"] <= off < SKB["tstamp"] + 8 or _in(off, "queue_mapping")):
            return False, T.SCALAR
    if _in(off, "data"):
        ok, _ = skb_is_valid_access(off, size, write)
        return ok, T.PTR_TO_PACKET
    if _in(off, "data_meta"):
        ok, _ = skb_is_valid_access(off, size, write)
        return ok, T.PTR_TO_PACKET_META
    if _in(off, "data_end"):
        ok, _ = skb_is_valid_access(off, size, write)
        return ok, T.PTR_TO_PACKET_END
    if _family_to_local_port(off):
        return False, T.SCALAR
    if off == SKB["tstamp_type"]:
        return size == 1, T.SCALAR
    return skb_is_valid_access(off, size, write)


def cg_skb_is_valid_access(off, size, write, attach):
    if _in(off, "tc_classid") or _in(off, "data_meta") or _in(off, "wire_len"):
        return False, T.SCALAR
    if write:
        if not (_in(off, "mark") or _in(off, "priority") or _cb(off)
                or SKB["tstamp"] <= off < SKB["tstamp"] + 8):
            return False, T.SCALAR
    if _in(off, "data"):
        ok, _ = skb_is_valid_access(off, size, write)
        return ok, T.PTR_TO_PACKET
    if _in(off, "data_end"):
        ok, _ = skb_is_valid_access(off, size, write)
        return ok, T.PTR_TO_PACKET_END
    return skb_is_valid_access(off, size, write)


_XDP_PTR_TYPES = {XDP["data"]: T.PTR_TO_PACKET, XDP["data_meta"]: T.PTR_TO_PACKET_META,
                  XDP["data_end"]: T.PTR_TO_PACKET_END}


def xdp_is_valid_access(off, size, write, attach):
    if attach != "xdp_devmap" and off == XDP["egress_ifindex"]:
        return False, T.SCALAR
    if write:
        return False, T.SCALAR
    if off in (XDP["data_meta"], XDP["data"], XDP["data_end"]) and size != 4:
        return False, T.SCALAR
    reg_type = _XDP_PTR_TYPES.get(off, T.SCALAR)
    if off < 0 or off >= XDP_SIZE or off % size != 0 or size != 4:
        return False, reg_type
    return True, reg_type


def kprobe_is_valid_access(off, size, write, attach):
    if off < 0 or off >= PT_REGS_SIZE or write or off % size != 0:
        return False, T.SCALAR
    if off + size > PT_REGS_SIZE:
        return False, T.SCALAR
    return True, T.SCALAR


def tp_is_valid_access(off, size, write, attach):
    if off < 8 or off >= PERF_MAX_TRACE_SIZE or write or off % size != 0:
        return False, T.SCALAR
    return True, T.SCALAR


def raw_tp_is_valid_access(off, size, write, attach):
    if off < 0 or off >= 8 * 12 or write or off % size != 0:
        return False, T.SCALAR
    return True, T.SCALAR


def syscall_is_valid_access(off, size, write, attach):
    """kernel: syscall_prog_is_valid_access (the context is the caller's buffer)."""
    return 0 <= off < 0xFFFF and off % size == 0, T.SCALAR


def pe_is_valid_access(off, size, write, attach):
    """kernel: pe_prog_is_valid_access (struct bpf_perf_event_data)."""
    if off < 0 or off >= PT_REGS_SIZE + 16 or write or off % size != 0:
        return False, T.SCALAR
    if PT_REGS_SIZE <= off < PT_REGS_SIZE + 16:
        return _narrow_ok(off, size, 8), T.SCALAR
    return size == 8, T.SCALAR


def _skb_excluded(off: int, *fields: str) -> bool:
    """off falls in one of the named __sk_buff fields (8 bytes for tstamp/hwtstamp)."""
    for f in fields:
        width = 8 if f in ("tstamp", "hwtstamp") else 4
        if SKB[f] <= off < SKB[f] + width:
            return True
    return False


def _skb_with_direct_packet(off, size, write):
    """skb_is_valid_access, with ``data``/``data_end`` typed as packet pointers (the program
    types that may read the packet directly without the tc rules)."""
    ok, reg_type = skb_is_valid_access(off, size, write)
    if _in(off, "data"):
        reg_type = T.PTR_TO_PACKET
    elif _in(off, "data_end"):
        reg_type = T.PTR_TO_PACKET_END
    return ok, reg_type


def sk_skb_is_valid_access(off, size, write, attach):
    """kernel: sk_skb_is_valid_access (sk_skb stream parser / verdict)."""
    if _skb_excluded(off, "tc_classid", "data_meta", "tstamp", "wire_len", "hwtstamp"):
        return False, T.SCALAR
    if write and not (_in(off, "tc_index") or _in(off, "priority")):
        return False, T.SCALAR
    if _in(off, "mark"):
        return False, T.SCALAR
    return _skb_with_direct_packet(off, size, write)


def lwt_is_valid_access(off, size, write, attach):
    """kernel: lwt_is_valid_access (lwt_in, lwt_out, lwt_xmit, lwt_seg6local)."""
    if (_skb_excluded(off, "tc_classid", "data_meta", "tstamp", "wire_len", "hwtstamp")
            or _family_to_local_port(off)):
        return False, T.SCALAR
    if write and not (_in(off, "mark") or _in(off, "priority") or _cb(off)):
        return False, T.SCALAR
    return _skb_with_direct_packet(off, size, write)


def _ptr_slot(off: int, start: int) -> bool:
    """off inside an 8-byte __bpf_md_ptr slot."""
    return start <= off < start + 8


def _u32_field(off: int, table: dict, *names: str) -> bool:
    return any(table[n] <= off < table[n] + 4 for n in names)


def _ip6_field(off: int, table: dict, *names: str) -> bool:
    return any(table[n] <= off < table[n] + 16 for n in names)


def sk_msg_is_valid_access(off, size, write, attach):
    """kernel: sk_msg_is_valid_access (struct sk_msg_md, read only)."""
    if write or off % size != 0:
        return False, T.SCALAR
    if _ptr_slot(off, MSG["data"]):
        return size == 8, T.PTR_TO_PACKET
    if _ptr_slot(off, MSG["data_end"]):
        return size == 8, T.PTR_TO_PACKET_END
    if _ptr_slot(off, MSG["sk"]):
        return size == 8, T.PTR_TO_SOCKET if size == 8 else T.SCALAR
    if (_u32_field(off, MSG, "family", "remote_ip4", "local_ip4", "remote_port",
                   "local_port", "size") or _ip6_field(off, MSG, "remote_ip6", "local_ip6")):
        return size == 4, T.SCALAR
    return False, T.SCALAR


def sk_lookup_is_valid_access(off, size, write, attach):
    """kernel: sk_lookup_is_valid_access (struct bpf_sk_lookup, read only)."""
    if off < 0 or off >= SK_LOOKUP_SIZE or off % size != 0 or write:
        return False, T.SCALAR
    if _ptr_slot(off, SKL["sk"]):
        return size == 8, T.PTR_TO_SOCKET | T.PTR_MAYBE_NULL
    if (_u32_field(off, SKL, "family", "protocol", "remote_ip4", "local_ip4", "local_port",
                   "ingress_ifindex") or _ip6_field(off, SKL, "remote_ip6", "local_ip6")):
        return _narrow_ok(off, size, 4), T.SCALAR
    if SKL["remote_port"] <= off < SKL["remote_port"] + 2:
        # a 4-byte read of the 2-byte port stays allowed (backward compatibility)
        return size == 4 or _narrow_ok(off, size, 2), T.SCALAR
    if SKL["remote_port"] + 2 <= off < SKL["local_ip4"]:
        return _narrow_ok(off, size, 2), T.SCALAR      # the zero padding after remote_port
    return False, T.SCALAR


def sock_ops_is_valid_access(off, size, write, attach):
    """kernel: sock_ops_is_valid_access (struct bpf_sock_ops)."""
    if off < 0 or off >= SOCK_OPS_SIZE or off % size != 0:
        return False, T.SCALAR
    if write:
        return off in (OPS["reply"], OPS["sk_txhash"]) and size == 4, T.SCALAR
    if OPS["bytes_received"] <= off < OPS["bytes_acked"] + 8:
        return size == 8, T.SCALAR
    if _ptr_slot(off, OPS["sk"]):
        return size == 8, T.PTR_TO_SOCKET | T.PTR_MAYBE_NULL
    if _ptr_slot(off, OPS["skb_data"]):
        return size == 8, T.PTR_TO_PACKET
    if _ptr_slot(off, OPS["skb_data_end"]):
        return size == 8, T.PTR_TO_PACKET_END
    if off == OPS["skb_tcp_flags"]:
        return _narrow_ok(off, size, 4), T.SCALAR
    if OPS["skb_hwtstamp"] <= off < OPS["skb_hwtstamp"] + 8:
        return size == 8, T.SCALAR
    return size == 4, T.SCALAR


def bpf_sock_is_valid_access(off: int, size: int) -> bool:
    """kernel: bpf_sock_is_valid_access (struct bpf_sock, 80 bytes): u32 fields read whole
    or narrowed, dst_port (__be16) as 2 or 4 bytes, nothing in the padding after it."""
    if off < 0 or off >= BPF_SOCK_SIZE or off % size != 0:
        return False
    if (off in (72, 4, 8, 12, 44, 76) or 24 <= off < 28 or 28 <= off < 44
            or 52 <= off < 56 or 56 <= off < 72):
        return _narrow_ok(off, size, 4)
    if 48 <= off < 50:               # dst_port (__be16)
        return _narrow_ok(off, size, 4 if size == 4 else 2)
    if 50 <= off < 52:
        return False
    return size == 4


# struct bpf_tcp_sock (uapi)
_TCP_SOCK_SIZE = 112          # sizeof(struct bpf_tcp_sock): icsk_retransmits ends it
TCP_SOCK_U64 = (80, 88)       # bytes_received, bytes_acked


def sock_ptr_is_valid_access(t: int, off: int, size: int) -> bool:
    """A load through a socket pointer of type ``t`` (kernel: bpf_sock_common_is_valid_access,
    bpf_sock_is_valid_access, bpf_tcp_sock_is_valid_access, bpf_xdp_sock_is_valid_access)."""
    if t == T.PTR_TO_SOCK_COMMON and 8 <= off < 24:   # type .. priority
        return False
    if t == T.PTR_TO_TCP_SOCK:
        # bytes_received and bytes_acked are the two u64 fields, every other offset is
        # read as a u32
        if not 0 <= off < _TCP_SOCK_SIZE or off % size:
            return False
        return size == (8 if off in TCP_SOCK_U64 else 4)
    if t == T.PTR_TO_XDP_SOCK:
        return off == 0 and size == 4
    return bpf_sock_is_valid_access(off, size)


_SOCK_CREATE = ("cgroup_inet_sock_create", "cgroup_inet_sock_release")


def cg_sock_is_valid_access(off, size, write, attach):
    """kernel: sock_filter_is_valid_access - bpf_sock_is_valid_access, then which fields
    the attach type may see: bound_dev_if/mark/priority read and written at socket
    creation and release only, source address and port read after bind only."""
    if not bpf_sock_is_valid_access(off, size):
        return False, T.SCALAR
    attach = attach or "cgroup_inet_sock_create"   # the kernel's default for attach type 0
    if off in (0, 16, 20):                         # bound_dev_if, mark, priority
        return attach in _SOCK_CREATE, T.SCALAR
    if 24 <= off < 28:                             # src_ip4
        return attach == "cgroup_inet4_post_bind" and not write, T.SCALAR
    if 28 <= off < 44:                             # src_ip6
        return attach == "cgroup_inet6_post_bind" and not write, T.SCALAR
    if 44 <= off < 48:                             # src_port
        return (attach in ("cgroup_inet4_post_bind", "cgroup_inet6_post_bind")
                and not write), T.SCALAR
    return not write, T.SCALAR


_SA_IP4 = ("cgroup_inet4_bind", "cgroup_inet4_connect", "cgroup_inet4_getpeername",
           "cgroup_inet4_getsockname", "cgroup_udp4_sendmsg", "cgroup_udp4_recvmsg")
_SA_IP6 = tuple(a.replace("4", "6") for a in _SA_IP4)


def _wide_ok(off: int, size: int, field: str, width: int) -> bool:
    """kernel: bpf_ctx_wide_access_ok - an aligned 8-byte access inside the field."""
    return (size == 8 and SA[field] <= off and off + 8 <= SA[field] + width
            and off % 8 == 0)


def sock_addr_is_valid_access(off, size, write, attach):
    """kernel: sock_addr_is_valid_access (struct bpf_sock_addr)."""
    if off < 0 or off >= SOCK_ADDR_SIZE or off % size != 0:
        return False, T.SCALAR
    in_ip4 = SA["user_ip4"] <= off < SA["user_ip4"] + 4
    in_ip6 = SA["user_ip6"] <= off < SA["user_ip6"] + 16
    in_src4 = SA["msg_src_ip4"] <= off < SA["msg_src_ip4"] + 4
    in_src6 = SA["msg_src_ip6"] <= off < SA["msg_src_ip6"] + 16
    if ((in_ip4 and attach not in _SA_IP4) or (in_ip6 and attach not in _SA_IP6)
            or (in_src4 and attach != "cgroup_udp4_sendmsg")
            or (in_src6 and attach != "cgroup_udp6_sendmsg")):
        return False, T.SCALAR
    if in_ip4 or in_ip6 or in_src4 or in_src6 or SA["user_port"] <= off < SA["user_port"] + 4:
        if _wide_ok(off, size, "user_ip6", 16) or _wide_ok(off, size, "msg_src_ip6", 16):
            return True, T.SCALAR
        return (size == 4 if write else _narrow_ok(off, size, 4)), T.SCALAR
    if _ptr_slot(off, SA["sk"]):
        return not write and size == 8, T.PTR_TO_SOCKET
    if any(SA[f] <= off < SA[f] + 4 for f in ("user_family", "family", "type", "protocol")):
        return not write and size == 4, T.SCALAR
    return False, T.SCALAR


def sysctl_is_valid_access(off, size, write, attach):
    """kernel: sysctl_is_valid_access (struct bpf_sysctl)."""
    if off < 0 or off + size > BPF_SYSCTL_SIZE or off % size:
        return False, T.SCALAR
    if off < 4:                                    # write
        return not write and _narrow_ok(off, size, 4), T.SCALAR
    return (size == 4 if write else _narrow_ok(off, size, 4)), T.SCALAR   # file_pos


def cgroup_dev_is_valid_access(off, size, write, attach):
    """kernel: cgroup_dev_is_valid_access (struct bpf_cgroup_dev_ctx, read only)."""
    if write or off < 0 or off + size > CGROUP_DEV_CTX_SIZE or off % size != 0:
        return False, T.SCALAR
    if off < 4:                                    # access_type
        return _narrow_ok(off, size, 4), T.SCALAR
    return size == 4, T.SCALAR


def cg_sockopt_is_valid_access(off, size, write, attach):
    """kernel: cg_sockopt_is_valid_access (struct bpf_sockopt)."""
    if off < 0 or off >= SOCKOPT_SIZE or off % size != 0:
        return False, T.SCALAR
    if write:
        if off == SO["retval"]:
            return size == 4 and attach == "cgroup_getsockopt", T.SCALAR
        if off in (SO["optname"], SO["level"]):
            return size == 4 and attach == "cgroup_setsockopt", T.SCALAR
        return off == SO["optlen"] and size == 4, T.SCALAR
    if _ptr_slot(off, SO["sk"]):
        return size == 8, T.PTR_TO_SOCKET
    if _ptr_slot(off, SO["optval"]):
        return size == 8, T.PTR_TO_PACKET
    if _ptr_slot(off, SO["optval_end"]):
        return size == 8, T.PTR_TO_PACKET_END
    if SO["retval"] <= off < SO["retval"] + 4:
        return size == 4 and attach == "cgroup_getsockopt", T.SCALAR
    return size == 4, T.SCALAR


def flow_dissector_is_valid_access(off, size, write, attach):
    """kernel: flow_dissector_is_valid_access (read only: data, data_end, flow_keys)."""
    if off < 0 or off >= SKB_SIZE or off % size != 0 or write:
        return False, T.SCALAR
    if _in(off, "data"):
        return size == 4, T.PTR_TO_PACKET
    if _in(off, "data_end"):
        return size == 4, T.PTR_TO_PACKET_END
    if _ptr_slot(off, SKB["flow_keys"]):
        return size == 8, T.PTR_TO_FLOW_KEYS
    return False, T.SCALAR


def sk_reuseport_is_valid_access(off, size, write, attach):
    """kernel: sk_reuseport_is_valid_access (struct sk_reuseport_md, read only)."""
    if off < 0 or off >= SK_REUSEPORT_MD_SIZE or off % size or write:
        return False, T.SCALAR
    ptrs = {RP["data"]: T.PTR_TO_PACKET, RP["data_end"]: T.PTR_TO_PACKET_END,
            RP["sk"]: T.PTR_TO_SOCKET, RP["migrating_sk"]: T.PTR_TO_SOCK_COMMON | T.PTR_MAYBE_NULL}
    if off in ptrs:
        return size == 8, ptrs[off]
    if off == RP["hash"]:
        return size == 4, T.SCALAR
    if RP["eth_protocol"] <= off < RP["eth_protocol"] + 4 and size < 2:
        return False, T.SCALAR                      # skb->protocol is 2 bytes
    if any(RP[f] <= off < RP[f] + 4 for f in ("eth_protocol", "ip_protocol", "bind_inany",
                                             "len")):
        return _narrow_ok(off, size, 4), T.SCALAR
    return False, T.SCALAR


class CtxModel:
    """What a program type's context looks like to the verifier."""

    load = None     # a BTF-typed context (verifier.btf_ctx) loads its fields itself

    def __init__(self, name: str, struct: str, size: int, is_valid_access, may_access_skb=False,
                 direct_pkt_read=False, direct_pkt_write=False, helper_pkt_any=False):
        self.name = name
        self.struct = struct
        self.size = size
        self.is_valid_access = is_valid_access
        self.may_access_skb = may_access_skb      # LD_ABS / LD_IND allowed
        self.direct_pkt_read = direct_pkt_read
        self.direct_pkt_write = direct_pkt_write
        # every helper may read and write the packet, whatever its .pkt_access
        # (kernel: may_access_direct_pkt_data's BPF_PROG_TYPE_CGROUP_SOCKOPT case)
        self.helper_pkt_any = helper_pkt_any
        self.table: dict = {}     # (off, size, write, attach) -> is_valid_access's answer

    def access(self, off: int, size: int, write: bool, attach) -> tuple:
        """``is_valid_access(off, size, write, attach)``, looked up in this type's
        per-process table of answers (filled on first use: the answer depends only
        on these arguments and the constant layout above)."""
        key = (off, size, write, attach)
        r = self.table.get(key)
        if r is None:
            r = self.table[key] = self.is_valid_access(off, size, write, attach)
        return r


MODELS = {
    "socket_filter": CtxModel("socket_filter", "__sk_buff", SKB_SIZE, sk_filter_is_valid_access,
                              may_access_skb=True),
    "sched_cls": CtxModel("sched_cls", "__sk_buff", SKB_SIZE, tc_is_valid_access,
                          may_access_skb=True, direct_pkt_read=True, direct_pkt_write=True),
    "sched_act": CtxModel("sched_act", "__sk_buff", SKB_SIZE, tc_is_valid_access,
                          may_access_skb=True, direct_pkt_read=True, direct_pkt_write=True),
    "cgroup_skb": CtxModel("cgroup_skb", "__sk_buff", SKB_SIZE, cg_skb_is_valid_access,
                           direct_pkt_read=True),
    "xdp": CtxModel("xdp", "xdp_md", XDP_SIZE, xdp_is_valid_access, direct_pkt_read=True,
                    direct_pkt_write=True),
    "kprobe": CtxModel("kprobe", "pt_regs", PT_REGS_SIZE, kprobe_is_valid_access),
    "tracepoint": CtxModel("tracepoint", "", PERF_MAX_TRACE_SIZE, tp_is_valid_access),
    "perf_event": CtxModel("perf_event", "bpf_perf_event_data", PT_REGS_SIZE + 16,
                           pe_is_valid_access),
    "raw_tracepoint": CtxModel("raw_tracepoint", "bpf_raw_tracepoint_args", 96,
                               raw_tp_is_valid_access),
    "sk_skb": CtxModel("sk_skb", "__sk_buff", SKB_SIZE, sk_skb_is_valid_access,
                       direct_pkt_read=True, direct_pkt_write=True),
    "sk_msg": CtxModel("sk_msg", "sk_msg_md", SK_MSG_MD_SIZE, sk_msg_is_valid_access,
                       direct_pkt_read=True, direct_pkt_write=True),
    "sk_lookup": CtxModel("sk_lookup", "bpf_sk_lookup", SK_LOOKUP_SIZE,
                          sk_lookup_is_valid_access),
    "sock_ops": CtxModel("sock_ops", "bpf_sock_ops", SOCK_OPS_SIZE, sock_ops_is_valid_access),
    "lwt_in": CtxModel("lwt_in", "__sk_buff", SKB_SIZE, lwt_is_valid_access,
                       direct_pkt_read=True),
    "lwt_out": CtxModel("lwt_out", "__sk_buff", SKB_SIZE, lwt_is_valid_access,
                        direct_pkt_read=True),
    "lwt_seg6local": CtxModel("lwt_seg6local", "__sk_buff", SKB_SIZE, lwt_is_valid_access,
                              direct_pkt_read=True),
    "cgroup_sock": CtxModel("cgroup_sock", "bpf_sock", BPF_SOCK_SIZE, cg_sock_is_valid_access),
    "cgroup_sock_addr": CtxModel("cgroup_sock_addr", "bpf_sock_addr", SOCK_ADDR_SIZE,
                                 sock_addr_is_valid_access),
    "cgroup_sysctl": CtxModel("cgroup_sysctl", "bpf_sysctl", BPF_SYSCTL_SIZE,
                              sysctl_is_valid_access),
    "cgroup_device": CtxModel("cgroup_device", "bpf_cgroup_dev_ctx", CGROUP_DEV_CTX_SIZE,
                              cgroup_dev_is_valid_access),
    "cgroup_sockopt": CtxModel("cgroup_sockopt", "bpf_sockopt", SOCKOPT_SIZE,
                               cg_sockopt_is_valid_access, direct_pkt_read=True,
                               direct_pkt_write=True, helper_pkt_any=True),
    "flow_dissector": CtxModel("flow_dissector", "__sk_buff", SKB_SIZE,
                               flow_dissector_is_valid_access, direct_pkt_read=True),
    "sk_reuseport": CtxModel("sk_reuseport", "sk_reuseport_md", SK_REUSEPORT_MD_SIZE,
                             sk_reuseport_is_valid_access, direct_pkt_read=True),
    "syscall": CtxModel("syscall", "", 0xFFFF, syscall_is_valid_access),
    "lwt_xmit": CtxModel("lwt_xmit", "__sk_buff", SKB_SIZE, lwt_is_valid_access,
                         direct_pkt_read=True, direct_pkt_write=True),
}
