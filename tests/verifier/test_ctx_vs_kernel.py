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

from test_rules_vs_kernel import EXIT0, LDX_SIZE, insn, ldmap, load_both  # noqa: E402

from oracles import kernel  # noqa: E402

from isa import decode  # noqa: E402
from verifier import VerifierInput, verify  # noqa: E402

_OK, _WHY = kernel.kernel_available()
pytestmark = pytest.mark.skipif(not _OK, reason=_WHY or "bpf() available")

STX_SIZE = {1: 0x73, 2: 0x6B, 4: 0x63, 8: 0x7B}
# program type -> (enum bpf_prog_type, expected_attach_type (enum bpf_attach_type), sizeof ctx
# as this kernel's BTF gives it)
CTX_TYPES = {
    "sk_skb": (14, 0, 192), "sk_msg": (16, 0, 80), "sk_lookup": (30, 36, 72),
    "sock_ops": (13, 0, 224), "lwt_in": (10, 0, 192), "lwt_out": (11, 0, 192),
    "lwt_xmit": (12, 0, 192), "lwt_seg6local": (19, 0, 192),
}


def _both(code: bytes, prog_type: str) -> tuple:
    type_id, attach, _ = CTX_TYPES[prog_type]
    res = kernel.prog_load(code, type_id, log_level=1, expected_attach_type=attach)
    res.close()
    assert res.reached_kernel, res.error
    ours = verify(VerifierInput(decode(code), prog_type=prog_type, license="GPL"), 1)
    return (res.accepted, res.error_line), (ours.accepted, ours.error_line)


@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
@pytest.mark.parametrize("prog_type", list(CTX_TYPES))
def test_ctx_access_equals_kernel(prog_type, write):
    """Every aligned (offset, size) of the context, read into r2 or written from r2 = 0,
    and a few offsets past its end."""
    differ = []
    size_of = CTX_TYPES[prog_type][2]
    for off in range(0, size_of + 8):
        for size in (1, 2, 4, 8):
            if off % size:
                continue
            if write:
                code = insn(0xB7, 2) + insn(STX_SIZE[size], 1, 2, off) + EXIT0
            else:
                code = insn(LDX_SIZE[size], 2, 1, off) + EXIT0
            k, o = _both(code, prog_type)
            if k != o:
                differ.append(f"off={off} size={size}: kernel {k} ours {o}")
    assert not differ, differ


# --- type-specific helpers ------------------------------------------------------------------
SOCKMAP = ("sm", "sockmap", 4, 4, 2)
SOCKHASH = ("sh", "sockhash", 4, 4, 2)
REUSEPORT = ("ra", "reuseport_sockarray", 4, 4, 2)
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
    "reuseport_array_lookup": ("sk_reuseport", KEY0 + insn(0xBF, 2, 3) + ldmap(1, 0) + call(1)
                               + EXIT0, [REUSEPORT]),
    # get_netns_cookie(ctx or NULL) in sock_ops and sk_msg
    "netns_cookie_null": ("sock_ops", insn(0xB7, 1) + call(122) + EXIT0, []),
    "netns_cookie_ctx": ("sk_msg", call(122) + EXIT0, []),
    "netns_cookie_stack": ("sk_msg", insn(0xBF, 1, 10) + call(122) + EXIT0, []),
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
PROG_IDS = {"sk_msg": 16, "sk_skb": 14, "sock_ops": 13, "sk_lookup": 30, "sk_reuseport": 21,
            "sched_cls": 3}


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
