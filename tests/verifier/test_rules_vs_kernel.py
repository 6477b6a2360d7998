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


@pytest.mark.parametrize("name", list(CASES))
def test_verdict_equals_kernel(name):
    code, prog_type = CASES[name]
    res = kernel.prog_load(code, prog_type, log_level=1)
    res.close()
    ours = verify(VerifierInput(decode(code), prog_type=prog_type, license="GPL"), 1)
    assert (ours.accepted, ours.error_line) == (res.accepted, res.error_line), res.log
