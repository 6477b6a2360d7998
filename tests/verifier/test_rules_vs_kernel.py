"""Verifier rules that real programs showed we lacked, each against the live kernel.

Every case is a small program loaded into this kernel (BPF_PROG_LOAD) and given to our
verifier; the verdict and the kernel's verdict line must be the same.  Skips where bpf() is
denied.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

_TESTS = str(Path(__file__).resolve().parent.parent)
if _TESTS not in sys.path:
    sys.path.append(_TESTS)

from oracles import kernel  # noqa: E402

from isa import decode  # noqa: E402
from verifier import VerifierInput, verify  # noqa: E402

_OK, _WHY = kernel.kernel_available()
pytestmark = pytest.mark.skipif(not _OK, reason=_WHY or "bpf() available")


def insn(code, dst=0, src=0, off=0, imm=0) -> bytes:
    return struct.pack("<BBhi", code, dst | (src << 4), off, imm)


EXIT0 = insn(0xB7) + insn(0x95)             # r0 = 0; exit
LDXSX = {4: 0x81, 2: 0x89, 1: 0x91}         # BPF_LDX | BPF_MEMSX | size


CASES = {
    # 1. a sign-extending load from a context field that is a packet pointer
    "ldsx_skb_data": (insn(LDXSX[4], 2, 1, 76) + EXIT0, "sched_cls"),
    "ldsx_skb_data_end": (insn(LDXSX[4], 2, 1, 80) + EXIT0, "sched_cls"),
    "ldsx_xdp_data": (insn(LDXSX[4], 2, 1, 0) + EXIT0, "xdp"),
    "ldsx_xdp_data_meta": (insn(LDXSX[4], 2, 1, 8) + EXIT0, "xdp"),
    # ... while number fields may be sign-extended
    "ldsx_skb_len": (insn(LDXSX[4], 2, 1, 0) + EXIT0, "sched_cls"),
    "ldsx_skb_mark_h": (insn(LDXSX[2], 2, 1, 8) + EXIT0, "socket_filter"),
    "ldsx_xdp_ifindex_b": (insn(LDXSX[1], 2, 1, 12) + EXIT0, "xdp"),
}


# enum bpf_attach_type (include/uapi/linux/bpf.h) -> our names
ATTACH = {"cgroup_inet4_bind": 8, "cgroup_inet6_bind": 9, "cgroup_inet4_connect": 10,
          "cgroup_udp4_sendmsg": 14, "cgroup_udp4_recvmsg": 19, "cgroup_udp6_recvmsg": 20,
          "cgroup_inet4_getpeername": 29, "cgroup_inet6_getsockname": 32, "netfilter": 45}


def ret(v: int) -> bytes:
    return insn(0xB7, 0, 0, 0, v) + insn(0x95)      # r0 = v; exit


# 4. program exit ranges per attach type (cgroup_sock_addr) and for netfilter
RETURNS = [(pt, attach, v) for pt, attach in
           [("cgroup_sock_addr", a) for a in ATTACH if a != "netfilter"] + [("netfilter",
                                                                             "netfilter")]
           for v in (0, 1, 2, 3, 4)]


@pytest.mark.parametrize("prog_type, attach, value", RETURNS,
                         ids=[f"{a}-ret{v}" for _, a, v in RETURNS])
def test_return_range_equals_kernel(prog_type, attach, value):
    code = ret(value)
    res = kernel.prog_load(code, prog_type, log_level=1, expected_attach_type=ATTACH[attach])
    res.close()
    assert res.reached_kernel if hasattr(res, "reached_kernel") else True
    ours = verify(VerifierInput(decode(code), prog_type=prog_type, license="GPL",
                                expected_attach_type=attach), 1)
    assert (ours.accepted, ours.error_line) == (res.accepted, res.error_line), res.log


@pytest.mark.parametrize("name", list(CASES))
def test_verdict_equals_kernel(name):
    code, prog_type = CASES[name]
    res = kernel.prog_load(code, prog_type, log_level=1)
    res.close()
    ours = verify(VerifierInput(decode(code), prog_type=prog_type, license="GPL"), 1)
    assert (ours.accepted, ours.error_line) == (res.accepted, res.error_line), res.log


# --- programs with maps -------------------------------------------------------------------
# An LD_IMM64 with src BPF_PSEUDO_MAP_FD (1) or BPF_PSEUDO_MAP_VALUE (2) and imm = i names
# MAPS[i]: our verifier takes the index (fd_array convention), the kernel a real map fd.

def ldmap(dst: int, index: int, kind: int = 1, off: int = 0) -> bytes:
    return insn(0x18, dst, kind, 0, index) + insn(0, 0, 0, 0, off)


def load_both(code: bytes, prog_type: str, maps: list[tuple]) -> None:
    """Load ``code`` into the kernel and into our verifier with ``maps`` ((name, map_type,
    key_size, value_size, max_entries[, flags])) and compare verdicts and verdict lines."""
    from verifier import MapDesc
    descs = [MapDesc(m[0], m[1], m[2], m[3], m[4], flags=m[5] if len(m) > 5 else 0)
             for m in maps]
    fds = [kernel.map_create(kernel.MAP_TYPES.get(d.map_type, d.type_id), d.key_size,
                             d.value_size, d.max_entries, d.name, d.flags) for d in descs]
    try:
        refs = {}
        for i in range(len(code) // 8):
            if code[8 * i] == 0x18 and code[8 * i + 1] >> 4 in (1, 2):
                index = struct.unpack_from("<i", code, 8 * i + 4)[0]
                off = struct.unpack_from("<i", code, 8 * i + 12)[0]
                refs[i] = fds[index].fd if code[8 * i + 1] >> 4 == 1 else (fds[index].fd, off)
        res = kernel.prog_load(kernel.relocate_map_refs(code, refs), prog_type, log_level=1)
        res.close()
    finally:
        for m in fds:
            m.close()
    assert res.reached_kernel, res.error
    ours = verify(VerifierInput(decode(code), prog_type=prog_type, license="GPL", maps=descs), 1)
    assert (ours.accepted, ours.error_line) == (res.accepted, res.error_line), res.log


HASH = ("h", "hash", 8, 8, 4)
ARRAY = ("a", "array", 4, 8, 1)
# r6 = ctx; key (fp-8) = 0; r0 = bpf_map_lookup_elem(&h, fp-8)
LOOKUP = (insn(0xBF, 6, 1) + insn(0x7A, 10, 0, -8, 0) + insn(0xBF, 2, 10) + insn(0x07, 2, 0, 0, -8)
          + ldmap(1, 0) + insn(0x85, 0, 0, 0, 1))


def null_vs(setup: bytes, jne: bool = False) -> bytes:
    """r2 = <setup>; if r0 == r2 (or !=) the equal branch reads *(u64 *)r0."""
    if jne:     # if r0 != r2 goto exit; r1 = *r0
        return LOOKUP + setup + insn(0x5D, 0, 2, 1) + insn(0x79, 1, 0, 0) + EXIT0
    return LOOKUP + setup + insn(0x1D, 0, 2, 1) + insn(0x05, 0, 0, 1) + insn(0x79, 1, 0, 0) + EXIT0


# 12. comparing a maybe-NULL map value with another pointer lifts NULL only when that
# pointer is never NULL (a map pointer, a map value), not for r10, ctx or packet pointers
NULL_CMP = {
    "r10": (insn(0xBF, 2, 10), "socket_filter", False),
    "r10_jne": (insn(0xBF, 2, 10), "socket_filter", True),
    "fp_minus_8": (insn(0xBF, 2, 10) + insn(0x07, 2, 0, 0, -8), "socket_filter", False),
    "ctx": (insn(0xBF, 2, 6), "socket_filter", False),
    "pkt": (insn(0x61, 2, 6, 76), "sched_cls", False),
    "pkt_end": (insn(0x61, 2, 6, 80), "sched_cls", False),
    "map_ptr": (ldmap(2, 0), "socket_filter", False),
    "map_value": (ldmap(2, 1, 2, 4), "socket_filter", False),
}


RINGBUF = ("rb", "ringbuf", 0, 0, 4096)
# partners that are never NULL once checked: a socket (skb->sk), ringbuf memory
NULL_CMP_CHECKED = {
    # r7 = maybe-NULL value; r2 = skb->sk, checked; if r7 == r2 read *r7
    "sock_common": (LOOKUP + insn(0xBF, 7, 0) + insn(0x79, 2, 6, 168) + insn(0x15, 2, 0, 3, 0)
                    + insn(0x1D, 7, 2, 1) + insn(0x05, 0, 0, 1) + insn(0x79, 1, 7, 0) + EXIT0,
                    "sched_cls"),
    # r8 = bpf_ringbuf_reserve(&rb, 8, 0), checked; if r7 == r8 read *r7; discard r8
    "ringbuf_mem": (LOOKUP + insn(0xBF, 7, 0) + ldmap(1, 2) + insn(0xB7, 2, 0, 0, 8) + insn(0xB7, 3)
                    + insn(0x85, 0, 0, 0, 131) + insn(0x15, 0, 0, 6, 0) + insn(0xBF, 8, 0)
                    + insn(0x1D, 7, 8, 1) + insn(0x05, 0, 0, 1) + insn(0x79, 1, 7, 0)
                    + insn(0xBF, 1, 8) + insn(0xB7, 2) + insn(0x85, 0, 0, 0, 133) + EXIT0,
                    "socket_filter"),
}


@pytest.mark.parametrize("name", list(NULL_CMP))
def test_null_lift_by_pointer_compare_equals_kernel(name):
    setup, prog_type, jne = NULL_CMP[name]
    load_both(null_vs(setup, jne), prog_type, [HASH, ARRAY])


@pytest.mark.parametrize("name", list(NULL_CMP_CHECKED))
def test_null_lift_by_checked_pointer_equals_kernel(name):
    code, prog_type = NULL_CMP_CHECKED[name]
    load_both(code, prog_type, [HASH, ARRAY, RINGBUF])


# 5, 6. a helper's result pointer (bpf_strtol/strtoul's long *res: fixed-size memory the
# helper writes, aligned to its size): no read-only map value, no misaligned stack or map value
RO_DATA = ("ro", "array", 4, 16, 1, 0x80)      # .rodata-like: BPF_F_RDONLY_PROG
RW_DATA = ("rw", "array", 4, 16, 1)


def strtol_into(setup: bytes, helper: int = 105) -> bytes:
    """buf (fp-4) = "12"; bpf_strtol(buf, 4, 0, r4 = <setup>)."""
    return (insn(0x62, 10, 0, -4, 0x3231) + insn(0xBF, 1, 10) + insn(0x07, 1, 0, 0, -4)
            + insn(0xB7, 2, 0, 0, 4) + insn(0xB7, 3) + setup + insn(0x85, 0, 0, 0, helper)
            + EXIT0)


def fp(reg: int, off: int) -> bytes:
    return insn(0xBF, reg, 10) + insn(0x07, reg, 0, 0, off)


RESULT_PTR = {
    "strtol_rodata": (strtol_into(ldmap(4, 0, 2, 0)), RO_DATA),
    "strtoul_rodata": (strtol_into(ldmap(4, 0, 2, 8), 106), RO_DATA),
    "strtol_data": (strtol_into(ldmap(4, 0, 2, 8)), RW_DATA),
    "strtol_data_misaligned": (strtol_into(ldmap(4, 0, 2, 4)), RW_DATA),
    "strtol_stack_misaligned": (strtol_into(fp(4, -12)), RW_DATA),
    "strtol_stack_misaligned_uninit": (strtol_into(fp(4, -20)), RW_DATA),
    "strtol_stack_aligned": (strtol_into(fp(4, -16)), RW_DATA),
    # a map key on the stack need not be aligned
    "lookup_key_misaligned": (insn(0x7A, 10, 0, -16, 0) + insn(0x7A, 10, 0, -8, 0)
                              + fp(2, -12) + ldmap(1, 0) + insn(0x85, 0, 0, 0, 1) + EXIT0, HASH),
}


# other helper memory on the stack may be misaligned; bpf_check_mtu's u32 *mtu_len may not
ZERO32 = b"".join(insn(0x7A, 10, 0, -8 * k, 0) for k in range(1, 5))
STACK_ARGS = {
    "update_value_misaligned": (ZERO32 + ldmap(1, 0) + fp(2, -8) + fp(3, -21)
                                + insn(0xB7, 4) + insn(0x85, 0, 0, 0, 2) + EXIT0, "socket_filter"),
    "probe_read_dst_misaligned": (insn(0xBF, 3, 1) + fp(1, -13) + insn(0xB7, 2, 0, 0, 8)
                                  + insn(0x85, 0, 0, 0, 113) + EXIT0, "kprobe"),
    "skb_load_bytes_misaligned": (insn(0xB7, 2) + fp(3, -13) + insn(0xB7, 4, 0, 0, 8)
                                  + insn(0x85, 0, 0, 0, 26) + EXIT0, "socket_filter"),
    "check_mtu_len_misaligned": (insn(0xB7, 2) + fp(3, -10) + insn(0xB7, 4) + insn(0xB7, 5)
                                 + insn(0x85, 0, 0, 0, 163) + EXIT0, "sched_cls"),
    "check_mtu_len_aligned": (insn(0xB7, 2) + fp(3, -12) + insn(0xB7, 4) + insn(0xB7, 5)
                              + insn(0x85, 0, 0, 0, 163) + EXIT0, "sched_cls"),
}


@pytest.mark.parametrize("name", list(STACK_ARGS))
def test_helper_stack_alignment_equals_kernel(name):
    code, prog_type = STACK_ARGS[name]
    load_both(code, prog_type, [HASH])


@pytest.mark.parametrize("name", list(RESULT_PTR))
def test_helper_result_pointer_equals_kernel(name):
    code, m = RESULT_PTR[name]
    load_both(code, "socket_filter", [m])


# 7. reads from the socket structs a tc program reaches (skb->sk: bpf_sock common part;
# bpf_sk_fullsock: struct bpf_sock; bpf_tcp_sock: struct bpf_tcp_sock, whose upper halves
# of the u64 fields pass the access check but fail the kernel's later rewrite): every
# offset 0..119 at every aligned size
LDX_SIZE = {1: 0x71, 2: 0x69, 4: 0x61, 8: 0x79}
SOCK_VIA = {"sock_common": None, "bpf_sock": 95, "bpf_tcp_sock": 96}


def sock_read(via: int | None, off: int, size: int) -> bytes:
    """r1 = skb->sk; if NULL exit; [r0 = helper(r1); if NULL exit;] r2 = *(size *)(ptr + off)."""
    if via is None:
        return (insn(0x79, 1, 1, 168) + insn(0x15, 1, 0, 1, 0)
                + insn(LDX_SIZE[size], 2, 1, off) + EXIT0)
    return (insn(0x79, 1, 1, 168) + insn(0x15, 1, 0, 3, 0) + insn(0x85, 0, 0, 0, via)
            + insn(0x15, 0, 0, 1, 0) + insn(LDX_SIZE[size], 2, 0, off) + EXIT0)


@pytest.mark.parametrize("struct_name", list(SOCK_VIA))
def test_sock_struct_reads_equal_kernel(struct_name):
    differ = []
    for off in range(120):
        for size in (1, 2, 4, 8):
            if off % size:
                continue
            try:
                load_both(sock_read(SOCK_VIA[struct_name], off, size), "sched_cls", [])
            except AssertionError as e:
                differ.append(f"off={off} size={size}: {str(e).splitlines()[0]}")
    assert not differ, differ


# 11. which helpers each program type may call: every helper id, called with R1 = ctx, must
# be refused for the same reason the kernel gives (unavailable to the type, or available
# by prototype but refused: bpf_get_func_ip outside kprobes), or be available in both
AVAILABILITY = ("cannot use helper", "unknown func", "not supported for program type")
PROG_TYPE_IDS = {"tracepoint": 5, "perf_event": 7, "raw_tracepoint": 17, "flow_dissector": 22,
                 "sk_reuseport": 21, "cgroup_sock": 9, "sock_ops": 13, "sk_skb": 14,
                 "sk_msg": 16, "lwt_xmit": 12, "cgroup_sysctl": 23, "kprobe": 2}


@pytest.mark.parametrize("prog_type", list(PROG_TYPE_IDS))
def test_helper_availability_equals_kernel(prog_type):
    differ = []
    for func_id in range(1, 212):
        code = insn(0x85, 0, 0, 0, func_id) + EXIT0
        res = kernel.prog_load(code, PROG_TYPE_IDS[prog_type], log_level=1)
        res.close()
        assert res.reached_kernel, res.error
        ours = verify(VerifierInput(decode(code), prog_type=prog_type, license="GPL"), 1)
        k = res.error_line if any(a in res.error_line for a in AVAILABILITY) else "available"
        o = ours.error_line if any(a in ours.error_line for a in AVAILABILITY) else "available"
        if k != o:
            differ.append((func_id, k, o))
    assert not differ, differ
