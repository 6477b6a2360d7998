"""``BPF_PROG_TEST_RUN``'s ``ctx_in``: the context fields user space may set, and how.

Kernel counterpart: net/bpf/test_run.c (convert___skb_to_skb, xdp_convert_md_to_buff and
the checks of bpf_prog_test_run_xdp).  Fields are named as in :mod:`isa.uapi`
(``struct __sk_buff`` / ``struct xdp_md``); ``cb[0]`` .. ``cb[4]`` name the skb's control
block words.  A field the kernel requires to be zero, or a value it refuses, is one
:class:`CtxError` naming the field and the kernel's errno, as ``BPF_PROG_TEST_RUN``
returns it.

skb programs: ``mark``, ``priority``, ``ingress_ifindex``, ``ifindex`` (the test run has
only ``lo``, ifindex 1), ``cb[i]``, ``tstamp``, ``wire_len`` (0, or between the packet
length and GSO_MAX_SIZE), ``gso_segs`` (at most GSO_MAX_SEGS), ``gso_size``, ``hwtstamp``.
XDP programs: ``data`` (the length of metadata at the start of the bytes passed: a multiple
of 4, at most 216, leaving at least an Ethernet header of packet), ``data_end`` (the length
of the bytes passed; a smaller one, a multi-buffer frame, is refused as not modelled),
``data_meta`` and ``egress_ifindex`` (must be 0), ``ingress_ifindex`` (0 or lo's 1) and
``rx_queue_index`` (lo has one queue).
"""

from __future__ import annotations

from isa.uapi import SKB_OFFSETS

from .layout import ETH_HLEN, XDP_FRAME_SIZE, XDP_HEADROOM

SKB_SETTABLE = {"mark": 4, "priority": 4, "ingress_ifindex": 4, "ifindex": 4, "tstamp": 8,
                "wire_len": 4, "gso_segs": 4, "gso_size": 4, "hwtstamp": 8,
                **{f"cb[{i}]": 4 for i in range(5)}}
XDP_FIELDS = ("data", "data_end", "data_meta", "ingress_ifindex", "rx_queue_index",
              "egress_ifindex")
LO_IFINDEX = 1
GSO_MAX_SIZE = 65536            # GSO_LEGACY_MAX_SIZE
GSO_MAX_SEGS = 65535
XDP_META_MAX = XDP_HEADROOM - XDP_FRAME_SIZE   # 216: metadata comes out of the headroom


class CtxError(Exception):
    """A ctx_in field the kernel would refuse (its errno name in ``errno``)."""

    def __init__(self, message: str, errno: str = "EINVAL"):
        super().__init__(f"{message}; BPF_PROG_TEST_RUN returns {errno}")


class UserCtxRefusal(CtxError):
    """A ctx_in the kernel takes but the mock kernel does not model."""

    def __init__(self, message: str):
        Exception.__init__(self, message)


def field_offset(name: str) -> int | None:
    """Offset of ``__sk_buff`` field ``name`` (``cb[i]`` for a control block word)."""
    if name.startswith("cb[") and name.endswith("]") and name[3:-1].isdigit():
        i = int(name[3:-1])
        return SKB_OFFSETS["cb"] + 4 * i if i < 5 else None
    return SKB_OFFSETS.get(name)


def skb_fields(values: dict, pkt_len: int) -> dict[str, int]:
    """The ``__sk_buff`` fields a test run sets, by name, after the kernel's checks
    (``pkt_len``: skb->len when the checks run); ``wire_len`` 0 reads as that length."""
    out = {}
    for name, v in values.items():
        if name not in SKB_SETTABLE:
            where = "is not a field of struct __sk_buff" if field_offset(name) is None \
                else "is not one the kernel lets ctx_in set (it must be 0)"
            raise CtxError(f"--ctx {name}: {where}")
        size = SKB_SETTABLE[name]
        if not isinstance(v, int) or not 0 <= v < 1 << (8 * size):
            raise CtxError(f"--ctx {name}={v!r}: not an integer that fits the field's {size} "
                           f"bytes")
        out[name] = v
    if out.get("ifindex", 0) > LO_IFINDEX:
        raise CtxError(f"--ctx ifindex={out['ifindex']}: no such device (the test run has "
                       f"only lo, ifindex {LO_IFINDEX})", "ENODEV")
    wire = out.get("wire_len", 0)
    if wire and not pkt_len <= wire <= GSO_MAX_SIZE:
        raise CtxError(f"--ctx wire_len={wire}: must be 0 or between the packet length "
                       f"{pkt_len} and {GSO_MAX_SIZE}")
    if out.get("gso_segs", 0) > GSO_MAX_SEGS:
        raise CtxError(f"--ctx gso_segs={out['gso_segs']}: more than {GSO_MAX_SEGS}")
    out["wire_len"] = wire or pkt_len
    out["ifindex"] = LO_IFINDEX
    return out


def xdp_meta(values: dict, pkt_len: int) -> int:
    """The metadata length an ``xdp_md`` ctx_in asks for, after the kernel's checks
    (``pkt_len``: the bytes passed, metadata included)."""
    for name, v in values.items():
        if name not in XDP_FIELDS:
            raise CtxError(f"--ctx {name}: is not a field of struct xdp_md")
        if not isinstance(v, int) or not 0 <= v <= 0xFFFFFFFF:
            raise CtxError(f"--ctx {name}={v!r}: not an integer that fits the field's 4 bytes")
    meta, end = values.get("data", 0), values.get("data_end", pkt_len)
    if values.get("data_meta", 0):
        raise CtxError("--ctx data_meta: must be 0 (no user data before the metadata)")
    if end > pkt_len or meta > end:
        raise CtxError(f"--ctx data_end={end}: must lie between data ({meta}) and the packet "
                       f"length {pkt_len}")
    if end < pkt_len:
        raise UserCtxRefusal(f"--ctx data_end={end}: a data_end below the packet length "
                             f"{pkt_len} makes a multi-buffer frame, which is not modelled")
    if meta % 4 or meta > XDP_META_MAX:
        raise CtxError(f"--ctx data={meta}: the metadata length must be a multiple of 4 and "
                       f"at most {XDP_META_MAX}")
    if pkt_len - meta < ETH_HLEN:
        raise CtxError(f"--ctx data={meta}: leaves {pkt_len - meta} bytes of packet after the "
                       f"metadata, fewer than an Ethernet header ({ETH_HLEN})")
    if values.get("egress_ifindex", 0):
        raise CtxError("--ctx egress_ifindex: must be 0")
    ifindex, queue = values.get("ingress_ifindex", 0), values.get("rx_queue_index", 0)
    if ifindex > LO_IFINDEX:
        raise CtxError(f"--ctx ingress_ifindex={ifindex}: no such device (the test run has "
                       f"only lo, ifindex {LO_IFINDEX})", "ENODEV")
    if queue:
        raise CtxError(f"--ctx rx_queue_index={queue}: lo has one receive queue (0)")
    return meta


def supported(prog_type: str, skb_types) -> str | None:
    """Which context ``prog_type``'s test run takes from ctx_in: "skb", "xdp" or None."""
    if prog_type in skb_types and prog_type != "flow_dissector":
        return "skb"
    if prog_type == "xdp":
        return "xdp"
    return None


