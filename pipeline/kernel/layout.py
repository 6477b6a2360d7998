"""Fixed facts of the test-run context: net/bpf/test_run.c sizes and the context fields used.

Shared by the test-run layout (:mod:`pipeline.testrun`) and the helpers that read the
context (:mod:`pipeline.kernel.helpers`).  The UAPI struct offsets come from :mod:`isa.uapi`.
:func:`eth_type_trans` is net/ethernet/eth.c's, as ``bpf_prog_test_run_skb`` calls it on
the loopback device: it gives ``skb->protocol`` and ``skb->pkt_type``.
"""

from isa.uapi import SKB_OFFSETS, SKB_SIZE, XDP_MD_OFFSETS, XDP_MD_SIZE  # noqa: F401

DATA_BASE = 0x1000_0000       # the test run's memory starts here, below 4 GiB: 32-bit ctx
                              # fields (skb->data) can hold pointers; every engine maps it here
ETH_HLEN = 14
SKF_NET_OFF, SKF_LL_OFF = -0x100000, -0x200000   # LD_ABS bases (include/uapi/linux/filter.h)
XDP_HEADROOM = 256
XDP_FRAME_SIZE = 40            # sizeof(struct xdp_frame): adjust_head may not go below it
DEFAULT_CTX_SIZE = 512
DEFAULT_PACKET = bytes(64)     # what the selftests' RUN_TESTS loader passes (TEST_DATA_LEN)

SKB_LEN, SKB_PKT_TYPE, SKB_PROTOCOL, SKB_IFINDEX = (
    SKB_OFFSETS[f] for f in ("len", "pkt_type", "protocol", "ifindex"))
SKB_DATA, SKB_DATA_END, SKB_DATA_META = (SKB_OFFSETS[f] for f in ("data", "data_end",
                                                                  "data_meta"))
XDP_DATA, XDP_DATA_END, XDP_DATA_META, XDP_INGRESS_IFINDEX = (
    XDP_MD_OFFSETS[f] for f in ("data", "data_end", "data_meta", "ingress_ifindex"))

SKB_TYPES = {"socket_filter", "sched_cls", "sched_act", "cgroup_skb", "sk_skb", "lwt_in",
             "lwt_out", "lwt_xmit", "lwt_seg6local", "flow_dissector"}
L2_TYPES = {"sched_cls", "sched_act", "sk_skb", "flow_dissector"}  # is_l2 in test_run_skb

ETH_P_802_3_MIN = 0x0600       # smaller h_proto values are 802.3 lengths
ETH_P_802_3, ETH_P_802_2 = 0x0001, 0x0004
PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST = 0, 2, 3
LOOPBACK_ADDR = bytes(6)       # the test run's device: lo, whose address is all zeros


def eth_type_trans(frame: bytes) -> tuple[int, int]:
    """(``skb->protocol`` as the ``__sk_buff`` field reads it: the big-endian value's bytes
    as a little-endian u32, ``skb->pkt_type``) of an Ethernet ``frame`` arriving on lo.

    A destination other than lo's address is ``PACKET_MULTICAST`` when its group bit is set
    (lo has no broadcast address, so ff:ff:ff:ff:ff:ff counts as multicast), else
    ``PACKET_OTHERHOST``.  An ``h_proto`` below 0x600 is an 802.3 length: the protocol is
    ``ETH_P_802_3`` for raw IPX (payload starting ff ff), else ``ETH_P_802_2``; bytes past
    the frame read as zero (the test run's buffer is zero-filled)."""
    dest, proto = frame[:6], int.from_bytes(frame[12:14], "big")
    if dest == LOOPBACK_ADDR:
        pkt_type = PACKET_HOST
    else:
        pkt_type = PACKET_MULTICAST if dest[0] & 1 else PACKET_OTHERHOST
    if proto < ETH_P_802_3_MIN:
        proto = ETH_P_802_3 if frame[14:16] == b"\xff\xff" else ETH_P_802_2
    return int.from_bytes(proto.to_bytes(2, "big"), "little"), pkt_type
