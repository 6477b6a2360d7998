"""Fixed facts of the test-run context: UAPI struct offsets and net/bpf/test_run.c sizes.

Shared by the test-run layout (:mod:`pipeline.testrun`) and the helpers that read the
context (:mod:`pipeline.kernel.helpers`).
"""

ETH_HLEN = 14
SKF_NET_OFF, SKF_LL_OFF = -0x100000, -0x200000   # LD_ABS bases (include/uapi/linux/filter.h)
XDP_HEADROOM = 256
XDP_FRAME_SIZE = 40            # sizeof(struct xdp_frame): adjust_head may not go below it
SKB_SIZE = 192                 # sizeof(struct __sk_buff)
XDP_MD_SIZE = 24
DEFAULT_CTX_SIZE = 512
DEFAULT_PACKET = bytes(64)     # what the selftests' RUN_TESTS loader passes (TEST_DATA_LEN)

# struct __sk_buff field offsets (include/uapi/linux/bpf.h)
SKB_LEN, SKB_PKT_TYPE, SKB_PROTOCOL, SKB_IFINDEX, SKB_INGRESS_IFINDEX = 0, 4, 16, 40, 36
SKB_DATA, SKB_DATA_END, SKB_DATA_META = 76, 80, 140
# struct xdp_md
XDP_DATA, XDP_DATA_END, XDP_DATA_META, XDP_INGRESS_IFINDEX = 0, 4, 8, 12

SKB_TYPES = {"socket_filter", "sched_cls", "sched_act", "cgroup_skb", "sk_skb", "lwt_in",
             "lwt_out", "lwt_xmit", "lwt_seg6local", "flow_dissector"}
L2_TYPES = {"sched_cls", "sched_act", "sk_skb", "flow_dissector"}  # is_l2 in test_run_skb
