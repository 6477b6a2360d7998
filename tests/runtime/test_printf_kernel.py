"""bpf_printk's formatting equals the kernel's: each format of tests/data/runtime/printf.c
is formatted by the live kernel's bpf_snprintf (read back from BPF_PROG_TEST_RUN's output
packet) and printed by the mock kernel's bpf_trace_vprintk on the same arguments; formats
the kernel refuses ("Invalid format string" at load for bpf_snprintf) make our
bpf_trace_vprintk return -EINVAL and print nothing."""

from __future__ import annotations

import struct
from pathlib import Path

import pipeline
from isa.uapi import EINVAL
from pipeline.kernel import INCLUDE_DIR
from tests.oracles import kernel as K
from tests.seeds import rng
from tests.support.skips import need_kernel_objects

SRC = Path(__file__).resolve().parents[1] / "data" / "runtime" / "printf.c"
TRIALS = 4


def _cases(obj) -> list[str]:
    return sorted({p.name[4:] for p in obj.programs if p.name.startswith("snp_")})


def _packet(r, trial: int) -> bytes:
    pick = [0, 1, 7, 65, 97, 1 << 31, (1 << 32) + 5, (1 << 64) - 1]
    vals = [r.choice(pick) if r.random() < 0.5 else r.getrandbits(r.choice((8, 16, 32, 64)))
            for _ in range(12)]
    strs = (b"hello world!!\0\0\0" * 8 if trial == 0 else
            bytes(r.choice(b"abcxyz019 -\0") for _ in range(128)))
    return (struct.pack("<12Q", *vals) + strs).ljust(300, b"\0")


def _s32(v: int) -> int:
    return v - (1 << 32) if v >> 31 else v


def test_formats_match_kernel_snprintf():
    need_kernel_objects()
    obj = pipeline.build(SRC, include=[INCLUDE_DIR])
    r, seed_text = rng(0x9F1)
    diffs, n = [], 0
    for case in _cases(obj):
        for trial in range(TRIALS):
            data = _packet(r, trial)
            k = K.run_object(obj.elf.path, f"snp_{case}", data)
            kret = _s32(k.retval)
            assert kret > 0, (case, kret)
            want = k.data_out[:kret - 1].decode("latin-1")   # bpf_snprintf counts the NUL
            got = pipeline.run(obj, f"prk_{case}", data=data, engine="interp")
            n += 1
            if got.output != [want] or _s32(got.retval) != kret - 1:
                diffs.append(f"{case}: kernel {want!r} ({kret - 1}), ours {got.output} "
                             f"({_s32(got.retval)})")
    assert n >= 60 and not diffs, f"{seed_text}:\n" + "\n".join(diffs)


def test_refused_formats_are_refused_alike():
    need_kernel_objects()
    obj = pipeline.build(SRC, include=[INCLUDE_DIR], defines=["BAD_FORMATS"])
    r, _ = rng(0x9F2)
    cases = _cases(obj)
    assert len(cases) >= 7
    for case in cases:
        k = K.load_object(obj.elf.path, f"snp_{case}")
        assert not k.accepted and "Invalid format string" in k.log, case
        got = pipeline.run(obj, f"prk_{case}", data=_packet(r, 1), engine="interp")
        assert _s32(got.retval) == -EINVAL and got.output == [], (case, got.output)


def _formats() -> dict[str, tuple[int, bytes]]:
    """case -> (pointer mask, format bytes), from the C source's CASE lines."""
    import re
    out = {}
    for m in re.finditer(r'^CASE\((\w+), (\d+), "(.*)"\)$', SRC.read_text(), re.M):
        out[m.group(1)] = (int(m.group(2)), m.group(3).encode().decode("unicode_escape")
                           .encode("latin-1") + b"\0")
    return out


def test_snprintf_helper_matches_kernel():
    """The mock kernel's bpf_snprintf (which our verifier does not take yet) called directly
    on the same format and arguments: the same text, NUL and return value, and a short
    buffer cut as the kernel's bstr_printf cuts it."""
    from types import SimpleNamespace

    from pipeline.interp import Memory
    from pipeline.kernel import helpers
    need_kernel_objects()
    obj = pipeline.build(SRC, include=[INCLUDE_DIR])
    formats = _formats()
    r, seed_text = rng(0x9F3)
    n = 0
    for case in _cases(obj):
        mask, fmt = formats[case]
        if mask:
            continue            # pointer arguments point into the kernel's own memory
        for trial in range(TRIALS):
            data = _packet(r, trial)
            k = K.run_object(obj.elf.path, f"snp_{case}", data)
            kret = _s32(k.retval)
            for size in (128, 8, 1, 0):
                mem = Memory()
                f = mem.map("fmt", bytearray(fmt), base=0x1000)
                a = mem.map("args", bytearray(data[:96]), base=0x2000)
                o = mem.map("out", bytearray(b"\xee" * 128), base=0x3000)
                ret = helpers.snprintf(None, SimpleNamespace(memory=mem), o.base, size, f.base,
                                       a.base, 96)
                assert ret == kret, (case, size, ret, kret, seed_text)
                want = (k.data_out[:min(kret, size) - 1] + b"\0") if size else b""
                assert bytes(o.data[:len(want)]) == want, (case, size, seed_text)
                assert all(b == 0xEE for b in o.data[len(want):]), (case, size)
                n += 1
    assert n >= 40
