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
