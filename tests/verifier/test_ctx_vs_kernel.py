"""Program contexts and type-specific helpers that real programs showed we lacked
(sk_skb, sk_msg, sk_lookup, sock_ops, lwt contexts; sockmap redirection, sk_msg data,
sk_assign in sk_lookup, sk_select_reuseport), each against the live kernel.

Every case is loaded into this kernel (BPF_PROG_LOAD) and given to our verifier; the
verdict and the kernel's verdict line must be the same.  Skips where bpf() is denied.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.append(_TESTS)

import struct  # noqa: E402

from test_rules_vs_kernel import EXIT0, LDX_SIZE, insn, ldmap, load_both  # noqa: E402

from oracles import kernel  # noqa: E402

from isa import decode  # noqa: E402
from verifier import VerifierInput, verify  # noqa: E402

_OK, _WHY = kernel.kernel_available()
pytestmark = pytest.mark.skipif(not _OK, reason=_WHY or "bpf() available")

STX_SIZE = {1: 0x73, 2: 0x6B, 4: 0x63, 8: 0x7B}
EXIT1 = insn(0xB7, 0, 0, 0, 1) + insn(0x95)     # r0 = 1 (allowed by every type below); exit
# case -> (program type, enum bpf_prog_type, expected attach type: (enum bpf_attach_type,
# our name), sizeof ctx as this kernel's BTF gives it)
CTX_TYPES = {
    "sk_skb": ("sk_skb", 14, (0, None), 192), "sk_msg": ("sk_msg", 16, (0, None), 80),
    "sk_lookup": ("sk_lookup", 30, (36, "sk_lookup"), 72),
    "sock_ops": ("sock_ops", 13, (0, None), 224), "lwt_in": ("lwt_in", 10, (0, None), 192),
    "lwt_out": ("lwt_out", 11, (0, None), 192), "lwt_xmit": ("lwt_xmit", 12, (0, None), 192),
    "lwt_seg6local": ("lwt_seg6local", 19, (0, None), 192),
    "cgroup_sysctl": ("cgroup_sysctl", 23, (18, "cgroup_sysctl"), 8),
    "cgroup_device": ("cgroup_device", 15, (6, "cgroup_device"), 12),
    "flow_dissector": ("flow_dissector", 22, (17, "flow_dissector"), 192),
    "sk_reuseport": ("sk_reuseport", 21, (0, None), 56),
    "sk_reuseport_migrate": ("sk_reuseport", 21, (40, "sk_reuseport_select_or_migrate"), 56),
    "getsockopt": ("cgroup_sockopt", 25, (21, "cgroup_getsockopt"), 40),
    "setsockopt": ("cgroup_sockopt", 25, (22, "cgroup_setsockopt"), 40),
    **{f"cgroup_sock-{name}": ("cgroup_sock", 9, (num, name), 80)
       for num, name in ((0, None), (2, "cgroup_inet_sock_create"),
                         (34, "cgroup_inet_sock_release"), (12, "cgroup_inet4_post_bind"),
                         (13, "cgroup_inet6_post_bind"))},
    **{f"sock_addr-{name}": ("cgroup_sock_addr", 18, (num, name), 72)
       for num, name in ((8, "cgroup_inet4_bind"), (9, "cgroup_inet6_bind"),
                         (10, "cgroup_inet4_connect"), (11, "cgroup_inet6_connect"),
                         (14, "cgroup_udp4_sendmsg"), (15, "cgroup_udp6_sendmsg"),
                         (19, "cgroup_udp4_recvmsg"), (20, "cgroup_udp6_recvmsg"),
                         (29, "cgroup_inet4_getpeername"), (32, "cgroup_inet6_getsockname"))},
}


def _both(code: bytes, case: str) -> tuple:
    prog_type, type_id, (attach_id, attach), _ = CTX_TYPES[case]
    res = kernel.prog_load(code, type_id, log_level=1, expected_attach_type=attach_id)
    res.close()
    assert res.reached_kernel, res.error
    ours = verify(VerifierInput(decode(code), prog_type=prog_type, license="GPL",
                                expected_attach_type=attach), 1)
    return (res.accepted, res.error_line), (ours.accepted, ours.error_line)


@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
@pytest.mark.parametrize("case", list(CTX_TYPES))
def test_ctx_access_equals_kernel(case, write):
    """Every aligned (offset, size) of the context, read into r2 or written from r2 = 0,
    and a few offsets past its end."""
    differ = []
    size_of = CTX_TYPES[case][3]
    for off in range(0, size_of + 8):
        for size in (1, 2, 4, 8):
            if off % size:
                continue
            if write:
                code = insn(0xB7, 2) + insn(STX_SIZE[size], 1, 2, off) + EXIT1
            else:
                code = insn(LDX_SIZE[size], 2, 1, off) + EXIT1
            k, o = _both(code, case)
            if k != o:
                differ.append(f"off={off} size={size}: kernel {k} ours {o}")
    assert not differ, differ


# --- type-specific helpers ------------------------------------------------------------------
SOCKMAP = ("sm", "sockmap", 4, 4, 2)
SOCKHASH = ("sh", "sockhash", 4, 4, 2)
REUSEPORT = ("ra", "reuseport_sockarray", 4, 4, 2)
FP32 = insn(0xBF, 2, 10) + insn(0x07, 2, 0, 0, -32)          # r2 = fp - 32
KEY0 = insn(0x62, 10, 0, -4, 0) + insn(0xBF, 3, 10) + insn(0x07, 3, 0, 0, -4)   # r3 = &(u32)0


def call(func_id: int) -> bytes:
    return insn(0x85, 0, 0, 0, func_id)


HELPER_CASES = {
    # sk_msg: msg_apply_bytes / msg_cork_bytes (ctx, bytes); R1 must be the context
    "apply_bytes": ("sk_msg", insn(0xB7, 2, 0, 0, 10) + call(61) + EXIT0, []),
    "cork_bytes": ("sk_msg", insn(0xB7, 2, 0, 0, 10) + call(62) + EXIT0, []),
    "apply_bytes_not_ctx": ("sk_msg", insn(0xB7, 1) + insn(0xB7, 2) + call(61) + EXIT0, []),
    # redirection: the map must be of the helper's kind
    "msg_redirect_map": ("sk_msg", ldmap(2, 0) + insn(0xB7, 3) + insn(0xB7, 4) + call(60)
                         + EXIT0, [SOCKMAP]),
    "msg_redirect_map_hash": ("sk_msg", ldmap(2, 0) + insn(0xB7, 3) + insn(0xB7, 4) + call(60)
                              + EXIT0, [SOCKHASH]),
    "msg_redirect_hash": ("sk_msg", ldmap(2, 0) + KEY0 + insn(0xB7, 4) + call(71) + EXIT0,
                          [SOCKHASH]),
    "msg_redirect_hash_map": ("sk_msg", ldmap(2, 0) + KEY0 + insn(0xB7, 4) + call(71) + EXIT0,
                              [SOCKMAP]),
    "sk_redirect_map": ("sk_skb", ldmap(2, 0) + insn(0xB7, 3) + insn(0xB7, 4) + call(52)
                        + EXIT0, [SOCKMAP]),
    "sk_redirect_hash": ("sk_skb", ldmap(2, 0) + insn(0xBF, 3, 10)
                                    + insn(0x07, 3, 0, 0, -4) + insn(0xB7, 4) + call(72)
                                    + EXIT0, [SOCKHASH]),
    "sock_map_update": ("sock_ops", ldmap(2, 0) + KEY0 + insn(0xB7, 4) + call(53) + EXIT0,
                        [SOCKMAP]),
    "sock_hash_update_map": ("sock_ops", ldmap(2, 0) + KEY0 + insn(0xB7, 4) + call(70) + EXIT0,
                             [SOCKMAP]),
    # msg_pull_data changes the data: packet pointers taken before it are gone
    "pull_data_invalidates": ("sk_msg", insn(0xBF, 6, 1) + insn(0x79, 7, 1, 0)
                              + insn(0x79, 8, 1, 8) + insn(0xB7, 2) + insn(0xB7, 3, 0, 0, 1)
                              + insn(0xB7, 4) + call(63) + insn(0xBF, 2, 7)
                              + insn(0x07, 2, 0, 0, 1) + insn(0x2D, 2, 8, 1)
                              + insn(0x71, 0, 7, 0) + EXIT0, []),
    "pull_data_then_reload": ("sk_msg", insn(0xBF, 6, 1) + insn(0xB7, 2) + insn(0xB7, 3, 0, 0, 1)
                              + insn(0xB7, 4) + call(63) + insn(0x79, 7, 6, 0)
                              + insn(0x79, 8, 6, 8) + insn(0xBF, 2, 7) + insn(0x07, 2, 0, 0, 1)
                              + insn(0x2D, 2, 8, 1) + insn(0x71, 0, 7, 0) + EXIT0, []),
    # sk_lookup's sk_assign takes a socket or NULL (tc's takes a sock_common)
    "sk_assign_null": ("sk_lookup", insn(0xB7, 2) + insn(0xB7, 3) + call(124) + EXIT0, []),
    "sk_assign_ctx_sk": ("sk_lookup", insn(0x79, 2, 1, 0) + insn(0xB7, 3) + call(124) + EXIT0,
                         []),
    "sk_assign_stack": ("sk_lookup", insn(0xBF, 2, 10) + insn(0x07, 2, 0, 0, -8)
                        + insn(0xB7, 3) + call(124) + EXIT0, []),
    "sk_assign_lookup_sockmap": ("sk_lookup", insn(0xBF, 6, 1) + KEY0 + insn(0xBF, 2, 3)
                                 + ldmap(1, 0) + call(1) + insn(0x15, 0, 0, 7, 0)
                                 + insn(0xBF, 1, 6) + insn(0xBF, 2, 0) + insn(0xBF, 7, 0)
                                 + insn(0xB7, 3) + call(124) + insn(0xBF, 1, 7) + call(86)
                                 + EXIT0, [SOCKMAP]),
    # sk_reuseport: sk_select_reuseport(ctx, map, &key, flags)
    "select_reuseport": ("sk_reuseport", ldmap(2, 0) + KEY0 + insn(0xB7, 4) + call(82) + EXIT0,
                         [REUSEPORT]),
    "select_reuseport_sockmap": ("sk_reuseport", ldmap(2, 0) + KEY0 + insn(0xB7, 4) + call(82)
                                 + EXIT0, [SOCKMAP]),
    "reuseport_socket_cookie_sk": ("sk_reuseport", insn(0x79, 1, 1, 40) + call(46) + EXIT0, []),
    "reuseport_socket_cookie_null": ("sk_reuseport", insn(0xB7, 1) + call(46) + EXIT0, []),
    "reuseport_socket_cookie_ctx": ("sk_reuseport", call(46) + EXIT0, []),
    "reuseport_socket_cookie_migrating": ("sk_reuseport", insn(0x79, 1, 1, 48) + call(46)
                                          + EXIT0, []),
    "reuseport_array_lookup": ("sk_reuseport", KEY0 + insn(0xBF, 2, 3) + ldmap(1, 0) + call(1)
                               + EXIT0, [REUSEPORT]),
    # get_netns_cookie(ctx or NULL) in sock_ops and sk_msg
    "netns_cookie_null": ("sock_ops", insn(0xB7, 1) + call(122) + EXIT0, []),
    "netns_cookie_ctx": ("sk_msg", call(122) + EXIT0, []),
    "netns_cookie_stack": ("sk_msg", insn(0xBF, 1, 10) + call(122) + EXIT0, []),
    # sock_ops: TCP header options
    "load_hdr_opt": ("sock_ops", FP32 + insn(0xB7, 3, 0, 0, 32) + insn(0xB7, 4) + call(142)
                     + EXIT0, []),
    "load_hdr_opt_past_stack": ("sock_ops", FP32 + insn(0xB7, 3, 0, 0, 33) + insn(0xB7, 4)
                                + call(142) + EXIT0, []),
    "store_hdr_opt": ("sock_ops", insn(0x7A, 10, 0, -32, 0) + FP32 + insn(0xB7, 3, 0, 0, 8)
                      + insn(0xB7, 4) + call(143) + EXIT0, []),
    "store_hdr_opt_past_stack": ("sock_ops", FP32 + insn(0xB7, 3, 0, 0, 33) + insn(0xB7, 4)
                                 + call(143) + EXIT0, []),
    "reserve_hdr_opt": ("sock_ops", insn(0xB7, 2, 0, 0, 4) + insn(0xB7, 3) + call(144)
                        + EXIT0, []),
    "netns_cookie_tc_ctx": ("sched_cls", call(122) + EXIT0, []),
    "netns_cookie_tc_null": ("sched_cls", insn(0xB7, 1) + call(122) + EXIT0, []),
    "netns_cookie_filter_stack": ("socket_filter", insn(0xBF, 1, 10) + call(122) + EXIT0, []),
    "netns_cookie_cgroup_skb_null": ("cgroup_skb", insn(0xB7, 1) + call(122) + EXIT0, []),
}


def pkt_then(n: int, body: bytes, tail: bytes = b"") -> bytes:
    """r6 = ctx; r2 = skb->data; r3 = skb->data_end; if r2 + n > r3 exit; body (r2 = data);
    tail; exit 0."""
    skip = (len(body) + len(tail)) // 8
    return (insn(0xBF, 6, 1) + insn(0x61, 2, 1, 76) + insn(0x61, 3, 1, 80) + insn(0xBF, 4, 2)
            + insn(0x07, 4, 0, 0, n) + insn(0x2D, 4, 3, skip) + body + tail + EXIT0)


RELEASE_R0 = insn(0x15, 0, 0, 2, 0) + insn(0xBF, 1, 0) + call(86)
QUEUE = ("q", "queue", 0, 4, 4)
# helpers whose prototype lets them read packet memory (kernel: .pkt_access = true)
HELPER_CASES.update({
    "sk_lookup_tcp_pkt_tuple": ("sched_cls", pkt_then(
        12, insn(0xBF, 1, 6) + insn(0xB7, 3, 0, 0, 12) + insn(0xB7, 4) + insn(0xB7, 5)
        + call(84), RELEASE_R0), []),
    "sk_lookup_udp_pkt_tuple": ("sched_cls", pkt_then(
        12, insn(0xBF, 1, 6) + insn(0xB7, 3, 0, 0, 12) + insn(0xB7, 4) + insn(0xB7, 5)
        + call(85), RELEASE_R0), []),
    "skc_lookup_tcp_pkt_tuple": ("sched_cls", pkt_then(
        12, insn(0xBF, 1, 6) + insn(0xB7, 3, 0, 0, 12) + insn(0xB7, 4) + insn(0xB7, 5)
        + call(99), RELEASE_R0), []),
    "sk_lookup_tcp_pkt_tuple_short": ("sched_cls", pkt_then(
        8, insn(0xBF, 1, 6) + insn(0xB7, 3, 0, 0, 12) + insn(0xB7, 4) + insn(0xB7, 5)
        + call(84), RELEASE_R0), []),
    "map_push_pkt_value": ("sched_cls", pkt_then(
        4, ldmap(1, 0) + insn(0xB7, 3) + call(87)), [QUEUE]),
    # ... while bpf_skb_load_bytes (no .pkt_access) may not write into the packet
    "skb_load_bytes_into_pkt": ("sched_cls", pkt_then(
        8, insn(0xBF, 3, 2) + insn(0xBF, 1, 6) + insn(0xB7, 2) + insn(0xB7, 4, 0, 0, 8)
        + call(26)), []),
})
HELPER_CASES.update({
    # perf_event: bpf_read_branch_records(ctx, buf or NULL, size, flags)
    "read_branch_records": ("perf_event", FP32 + insn(0xB7, 3, 0, 0, 32) + insn(0xB7, 4)
                            + call(119) + EXIT0, []),
    "read_branch_records_null_size": ("perf_event", insn(0xB7, 2) + insn(0xB7, 3)
                                      + insn(0xB7, 4, 0, 0, 1) + call(119) + EXIT0, []),
    "read_branch_records_null_nonzero": ("perf_event", insn(0xB7, 2) + insn(0xB7, 3, 0, 0, 8)
                                         + insn(0xB7, 4) + call(119) + EXIT0, []),
    "read_branch_records_past_stack": ("perf_event", FP32 + insn(0xB7, 3, 0, 0, 40)
                                       + insn(0xB7, 4) + call(119) + EXIT0, []),
    # bpf_get_branch_snapshot(buf, size)
    "branch_snapshot": ("kprobe", insn(0xBF, 1, 10) + insn(0x07, 1, 0, 0, -32)
                        + insn(0xB7, 2, 0, 0, 32) + call(176) + EXIT0, []),
    "branch_snapshot_ctx": ("kprobe", insn(0xB7, 2, 0, 0, 8) + call(176) + EXIT0, []),
})
PROG_IDS = {"perf_event": 7, "kprobe": 2, "sk_msg": 16, "sk_skb": 14, "sock_ops": 13,
            "sk_lookup": 30, "sk_reuseport": 21,
            "sched_cls": 3, "socket_filter": 1, "cgroup_skb": 8}


@pytest.mark.parametrize("name", list(HELPER_CASES))
def test_type_helper_equals_kernel(name, monkeypatch):
    prog_type, code, maps = HELPER_CASES[name]
    # sk_lookup programs load with expected_attach_type BPF_SK_LOOKUP; load_both takes none,
    # so hand the oracle the attach type through its keyword default
    if prog_type == "sk_lookup":
        orig = kernel.prog_load
        monkeypatch.setattr(kernel, "prog_load",
                            lambda *a, **kw: orig(*a, **{**kw, "expected_attach_type": 36}))
    monkeypatch.setitem(kernel.PROG_TYPES, prog_type, PROG_IDS[prog_type])
    monkeypatch.setitem(kernel.MAP_TYPES, "sockmap", 15)
    monkeypatch.setitem(kernel.MAP_TYPES, "sockhash", 18)
    monkeypatch.setitem(kernel.MAP_TYPES, "reuseport_sockarray", 20)
    monkeypatch.setitem(kernel.MAP_TYPES, "queue", 22)
    load_both(code, prog_type, maps)


# --- helpers a type hands out for some expected attach types only ----------------------------
def load_attach(code: bytes, case: tuple, maps: list[tuple]) -> tuple:
    """(kernel verdict, ours) for ``code`` as ``case`` = (program type, enum bpf_prog_type,
    enum bpf_attach_type, our attach name) with ``maps`` as in load_both."""
    from verifier import MapDesc
    prog_type, type_id, attach_id, attach = case
    descs = [MapDesc(m[0], m[1], m[2], m[3], m[4]) for m in maps]
    fds = [kernel.map_create(d.type_id, d.key_size, d.value_size, d.max_entries, d.name)
           for d in descs]
    try:
        refs = {}
        for i in range(len(code) // 8):
            if code[8 * i] == 0x18 and code[8 * i + 1] >> 4 == 1:
                refs[i] = fds[struct.unpack_from("<i", code, 8 * i + 4)[0]].fd
        res = kernel.prog_load(kernel.relocate_map_refs(code, refs), type_id, log_level=1,
                               expected_attach_type=attach_id)
        res.close()
    finally:
        for m in fds:
            m.close()
    assert res.reached_kernel, res.error
    ours = verify(VerifierInput(decode(code), prog_type=prog_type, license="GPL", maps=descs,
                                expected_attach_type=attach), 1)
    return (res.accepted, res.error_line), (ours.accepted, ours.error_line)


SKB_IN = ("cgroup_skb", 8, 0, None)
SKB_OUT = ("cgroup_skb", 8, 1, "cgroup_inet_egress")
DEV = ("cgroup_device", 15, 6, "cgroup_device")
SYSCTL = ("cgroup_sysctl", 23, 18, "cgroup_sysctl")
SOCK0 = ("cgroup_sock", 9, 0, None)
SOCK_RELEASE = ("cgroup_sock", 9, 34, "cgroup_inet_sock_release")
POST_BIND4 = ("cgroup_sock", 9, 12, "cgroup_inet4_post_bind")
CONNECT4 = ("cgroup_sock_addr", 18, 10, "cgroup_inet4_connect")
CONNECT6 = ("cgroup_sock_addr", 18, 11, "cgroup_inet6_connect")
BIND4 = ("cgroup_sock_addr", 18, 8, "cgroup_inet4_bind")
SENDMSG4 = ("cgroup_sock_addr", 18, 14, "cgroup_udp4_sendmsg")
RECVMSG4 = ("cgroup_sock_addr", 18, 19, "cgroup_udp4_recvmsg")
GETPEER4 = ("cgroup_sock_addr", 18, 29, "cgroup_inet4_getpeername")
GETSOCK6 = ("cgroup_sock_addr", 18, 32, "cgroup_inet6_getsockname")
SOCK_OPS = ("sock_ops", 13, 3, "cgroup_sock_ops")
RET1 = insn(0xB7, 0, 0, 0, 1) + insn(0x95)
VAL8 = insn(0x7A, 10, 0, -8, 1) + insn(0xBF, 4, 10) + insn(0x07, 4, 0, 0, -8)   # r4 = &(u64)1
BUF8 = insn(0xBF, 2, 10) + insn(0x07, 2, 0, 0, -8) + insn(0xB7, 3, 0, 0, 8)     # r2, r3 = fp-8, 8
CG_STORAGE = ("cs", "cgroup_storage", 8, 8, 0)
PCPU_CG_STORAGE = ("pcs", "percpu_cgroup_storage", 8, 8, 0)
HASH8 = ("h", "hash", 8, 8, 4)

GET_RETVAL = call(186) + RET1
SET_RETVAL = insn(0xB7, 1) + call(187) + RET1
BIND = (insn(0xBF, 6, 1) + insn(0x7A, 10, 0, -16, 0) + insn(0x7A, 10, 0, -8, 0)
        + insn(0xBF, 2, 10) + insn(0x07, 2, 0, 0, -16) + insn(0xB7, 3, 0, 0, 16) + call(64)
        + RET1)
SETSOCKOPT = (VAL8 + insn(0xB7, 2, 0, 0, 1) + insn(0xB7, 3, 0, 0, 2) + insn(0xB7, 5, 0, 0, 4)
              + call(49) + RET1)
GETSOCKOPT = (insn(0xBF, 4, 10) + insn(0x07, 4, 0, 0, -8) + insn(0xB7, 2, 0, 0, 1)
              + insn(0xB7, 3, 0, 0, 2) + insn(0xB7, 5, 0, 0, 8) + call(57) + RET1)
LOCAL_STORAGE = ldmap(1, 0) + insn(0xB7, 2) + call(81) + insn(0x79, 1, 0, 0) + RET1

ATTACH_CASES = {
    "get_retval_dev": (GET_RETVAL, DEV, []),
    "get_retval_sysctl": (GET_RETVAL, SYSCTL, []),
    "get_retval_skb_ingress": (GET_RETVAL, SKB_IN, []),
    "get_retval_skb_egress": (GET_RETVAL, SKB_OUT, []),
    "get_retval_sock_attach0": (GET_RETVAL, SOCK0, []),
    "get_retval_sock_release": (GET_RETVAL, SOCK_RELEASE, []),
    "get_retval_post_bind4": (GET_RETVAL, POST_BIND4, []),
    "get_retval_connect4": (GET_RETVAL, CONNECT4, []),
    "get_retval_recvmsg4": (GET_RETVAL, RECVMSG4, []),
    "get_retval_getpeername4": (GET_RETVAL, GETPEER4, []),
    "get_retval_sock_ops": (GET_RETVAL, SOCK_OPS, []),
    "set_retval_sendmsg4": (SET_RETVAL, SENDMSG4, []),
    "set_retval_getsockname6": (SET_RETVAL, GETSOCK6, []),
    "set_retval_no_arg": (call(187) + RET1, DEV, []),
    "bind_connect4": (BIND, CONNECT4, []),
    "bind_connect6": (BIND, CONNECT6, []),
    "bind_bind4": (BIND, BIND4, []),
    "bind_sendmsg4": (BIND, SENDMSG4, []),
    "setsockopt_connect4": (SETSOCKOPT, CONNECT4, []),
    "setsockopt_getpeername4": (SETSOCKOPT, GETPEER4, []),
    "setsockopt_sock_ops": (SETSOCKOPT, SOCK_OPS, []),
    "getsockopt_recvmsg4": (GETSOCKOPT, RECVMSG4, []),
    "getsockopt_sock_ops": (GETSOCKOPT, SOCK_OPS, []),
    "getsockopt_short_buf": (GETSOCKOPT.replace(insn(0xB7, 5, 0, 0, 8), insn(0xB7, 5, 0, 0, 16)),
                             SOCK_OPS, []),
    "sysctl_get_name": (BUF8 + insn(0xB7, 4) + call(101) + RET1, SYSCTL, []),
    "sysctl_get_name_past_stack": (BUF8.replace(insn(0xB7, 3, 0, 0, 8), insn(0xB7, 3, 0, 0, 9))
                                   + insn(0xB7, 4) + call(101) + RET1, SYSCTL, []),
    "sysctl_get_current_value": (BUF8 + call(102) + RET1, SYSCTL, []),
    "sysctl_get_current_value_past_stack": (BUF8.replace(insn(0xB7, 3, 0, 0, 8),
                                                         insn(0xB7, 3, 0, 0, 9)) + call(102)
                                            + RET1, SYSCTL, []),
    "sysctl_get_new_value": (BUF8 + call(103) + RET1, SYSCTL, []),
    "sysctl_set_new_value": (BUF8 + call(104) + RET1, SYSCTL, []),
    "sysctl_set_new_value_past_stack": (BUF8.replace(insn(0xB7, 3, 0, 0, 8),
                                                     insn(0xB7, 3, 0, 0, 9)) + call(104) + RET1,
                                        SYSCTL, []),
    "local_storage_skb": (LOCAL_STORAGE, SKB_OUT, [CG_STORAGE]),
    "local_storage_percpu_sock": (LOCAL_STORAGE, SOCK0, [PCPU_CG_STORAGE]),
    "local_storage_hash": (LOCAL_STORAGE, SKB_OUT, [HASH8]),
    "local_storage_flags": (LOCAL_STORAGE.replace(insn(0xB7, 2), insn(0xB7, 2, 0, 0, 1)),
                            SKB_OUT, [CG_STORAGE]),
    "local_storage_unknown_flags": (insn(0x61, 2, 1, 0) + LOCAL_STORAGE.replace(insn(0xB7, 2),
                                                                                b""),
                                    SKB_OUT, [CG_STORAGE]),
    "local_storage_past_value": (LOCAL_STORAGE.replace(insn(0x79, 1, 0, 0), insn(0x79, 1, 0, 4)),
                                 SKB_OUT, [CG_STORAGE]),
    "lookup_cgroup_storage": (insn(0x7A, 10, 0, -8, 0) + insn(0xBF, 2, 10)
                              + insn(0x07, 2, 0, 0, -8) + ldmap(1, 0) + call(1) + RET1, SKB_OUT,
                              [CG_STORAGE]),
}


GETSOCKOPT_HOOK = ("cgroup_sockopt", 25, 21, "cgroup_getsockopt")
SETSOCKOPT_HOOK = ("cgroup_sockopt", 25, 22, "cgroup_setsockopt")


def optval_then(body: bytes) -> bytes:
    """r2 = ctx->optval; r3 = ctx->optval_end; if r2 + 8 > r3 exit; body; exit 1."""
    skip = len(body) // 8
    return (insn(0x79, 2, 1, 8) + insn(0x79, 3, 1, 16) + insn(0xBF, 4, 2) + insn(0x07, 4, 0, 0, 8)
            + insn(0x2D, 4, 3, skip) + body + RET1)


# sockopt programs: every helper may use optval..optval_end (no .pkt_access needed)
ATTACH_CASES.update({
    "sockopt_comm_into_optval": (optval_then(insn(0xBF, 1, 2) + insn(0xB7, 2, 0, 0, 8)
                                             + call(16)), GETSOCKOPT_HOOK, []),
    "sockopt_comm_past_optval": (optval_then(insn(0xBF, 1, 2) + insn(0xB7, 2, 0, 0, 9)
                                             + call(16)), SETSOCKOPT_HOOK, []),
    "sockopt_write_optval": (optval_then(insn(0x7A, 2, 0, 0, 7)), SETSOCKOPT_HOOK, []),
    "sockopt_strtol_optval": (optval_then(insn(0xBF, 1, 2) + insn(0xB7, 2, 0, 0, 8)
                                          + insn(0xB7, 3) + insn(0xBF, 4, 10)
                                          + insn(0x07, 4, 0, 0, -8) + call(105)),
                              GETSOCKOPT_HOOK, []),
})


FLOW = ("flow_dissector", 22, 17, "flow_dissector")
KEYS = insn(0x79, 2, 1, 144)                    # r2 = ctx->flow_keys
# flow_dissector: struct bpf_flow_keys (56 bytes) behind ctx->flow_keys
ATTACH_CASES.update({
    "flow_keys_read": (KEYS + insn(0x69, 3, 2, 0) + EXIT0, FLOW, []),
    "flow_keys_write_last": (KEYS + insn(0x72, 2, 0, 55, 1) + EXIT0, FLOW, []),
    "flow_keys_past_end": (KEYS + insn(0x71, 3, 2, 56) + EXIT0, FLOW, []),
    "flow_keys_moved": (KEYS + insn(0x07, 2, 0, 0, 8) + insn(0x79, 3, 2, 40) + EXIT0, FLOW, []),
    "flow_keys_moved_past_end": (KEYS + insn(0x07, 2, 0, 0, 8) + insn(0x79, 3, 2, 44) + EXIT0,
                                 FLOW, []),
    "flow_keys_negative": (KEYS + insn(0x61, 3, 2, -4) + EXIT0, FLOW, []),
    "flow_keys_store_ptr": (KEYS + insn(0x7B, 2, 1, 8) + EXIT0, FLOW, []),
    "flow_keys_variable": (insn(0xBF, 6, 1) + call(7) + insn(0x57, 0, 0, 0, 7)
                           + insn(0x79, 2, 6, 144) + insn(0x0F, 2, 0) + insn(0x71, 3, 2, 0)
                           + EXIT0, FLOW, []),
    "flow_pkt_read": (pkt_then(4, insn(0x71, 5, 2, 0)), FLOW, []),
    "flow_pkt_write": (pkt_then(4, insn(0x72, 2, 0, 0, 1)), FLOW, []),
})


@pytest.mark.parametrize("name", list(ATTACH_CASES))
def test_attach_dependent_helper_equals_kernel(name):
    code, case, maps = ATTACH_CASES[name]
    k, o = load_attach(code, case, maps)
    assert k == o
