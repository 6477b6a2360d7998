"""Fixed facts of the test-run context: net/bpf/test_run.c sizes and the context fields used.

Shared by the test-run layout (:mod:`pipeline.testrun`) and the helpers that read the
context (:mod:`pipeline.kernel.helpers`).  The UAPI struct offsets come from :mod:`isa.uapi`.
"""

from isa.uapi import SKB_OFFSETS, SKB_SIZE, XDP_MD_OFFSETS, XDP_MD_SIZE  # noqa: F401

ETH_HLEN = 14
SKF_NET_OFF, SKF_LL_OFF = -0x100000, -0x200000   # LD_ABS bases (include/uapi/linux/filter.h)
XDP_HEADROOM = 256
XDP_FRAME_SIZE = 40            # sizeof(struct xdp_frame): adjust_head may not go below it
DEFAULT_CTX_SIZE = 512
DEFAULT_PACKET = bytes(64)     # what the selftests' RUN_TESTS loader passes (TEST_DATA_LEN)

SKB_LEN, SKB_PROTOCOL, SKB_IFINDEX = (SKB_OFFSETS[f] for f in ("len", "protocol", "ifindex"))
SKB_DATA, SKB_DATA_END, SKB_DATA_META = (SKB_OFFSETS[f] for f in ("data", "data_end",
                                                                  "data_meta"))
XDP_DATA, XDP_DATA_END, XDP_DATA_META, XDP_INGRESS_IFINDEX = (
    XDP_MD_OFFSETS[f] for f in ("data", "data_end", "data_meta", "ingress_ifindex"))

SKB_TYPES = {"socket_filter", "sched_cls", "sched_act", "cgroup_skb", "sk_skb", "lwt_in",
             "lwt_out", "lwt_xmit", "lwt_seg6local", "flow_dissector"}
L2_TYPES = {"sched_cls", "sched_act", "sk_skb", "flow_dissector"}  # is_l2 in test_run_skb
