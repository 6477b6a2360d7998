"""Fixed-seed mutation fuzzing: >= 10,000 damaged .BTF/.BTF.ext blobs.

Every blob must either parse (and then dump/measure without crashing) or raise
BtfError; any other exception or a hang (guarded by SIGALRM) fails the test.
"""

from __future__ import annotations

import random
import signal
import struct

import pytest
from elftools.elf.elffile import ELFFile

import btf
from btf.dump_raw import dump_raw
from btf.errors import BtfError

SOURCES = ["04_anon_nested", "07_funcptr", "13_decl_tags", "20_funcs", "06_enum64", "30_typetag_decl_mix"]
PER_SOURCE = 1700   # 6 * 1700 = 10,200 blobs


def _sections(path):
    with open(path, "rb") as f:
        elf = ELFFile(f)
        ext = elf.get_section_by_name(".BTF.ext")
        return elf.get_section_by_name(".BTF").data(), ext.data() if ext else None


def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    op = rng.randrange(6)
    if op == 0:                                   # flip random bytes
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif op == 1:                                 # an aligned u32 set to an edge value
        off = rng.randrange(0, len(b) - 3) & ~3
        struct.pack_into("<I", b, off, rng.choice([0, 1, 2, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF,
                                                   len(b), len(b) + 4, rng.randrange(1 << 32)]))
    elif op == 2:                                 # truncate
        del b[rng.randrange(len(b)):]
    elif op == 3:                                 # header field
        off = rng.choice([4, 8, 12, 16, 20])
        struct.pack_into("<I", b, off, rng.randrange(0, len(b) * 2))
    elif op == 4:                                 # kind/vlen bits of an info word
        off = rng.randrange(24, max(25, len(b) - 3)) & ~3
        if off + 4 <= len(b):
            struct.pack_into("<I", b, off, rng.randrange(20) << 24 | rng.randrange(8))
    else:                                         # small type id pointing backwards (loops)
        off = rng.randrange(24, max(25, len(b) - 3)) & ~3
        if off + 4 <= len(b):
            struct.pack_into("<I", b, off, rng.randrange(1, 12))
    return bytes(b)


def _exercise(b: btf.Btf) -> None:
    dump_raw(b)
    for t in b.types[1:]:
        try:
            b.size_of(t.id)
        except BtfError:
            pass
        if t.kind in (btf.kinds.STRUCT, btf.kinds.UNION):
            try:
                b.align_of(t.id)
                b.member_at(t.id, t.size // 2, 1)
                for m in t.members:
                    if m.name:
                        b.find_member(t.id, m.name)
            except BtfError:
                pass
    try:
        from btf.dump_c import dump_c
    except ImportError:
        return
    dump_c(b)


def _alarm(signum, frame):
    raise TimeoutError("mutation case hung")


@pytest.mark.parametrize("name", SOURCES)
def test_mutations_never_crash(name, corpus_objs):
    data, ext = _sections(corpus_objs[name])
    rng = random.Random(f"btf-mutation-{name}")
    old = signal.signal(signal.SIGALRM, _alarm)
    outcomes = {"ok": 0, "error": 0}
    try:
        for i in range(PER_SOURCE):
            target_ext = ext is not None and i % 3 == 2
            blob = _mutate(rng, ext if target_ext else data)
            # generous: a legal 16 MiB struct yields a 23 MB C header (~1.5 s);
            # a hang never returns at all
            signal.setitimer(signal.ITIMER_REAL, 15.0)
            try:
                if target_ext:
                    btf.parse_btf_ext(blob, btf.parse_btf(data))
                else:
                    _exercise(btf.parse_btf(blob))
                outcomes["ok"] += 1
            except BtfError as err:
                assert err.message and "\n" not in err.message
                outcomes["error"] += 1
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, old)
    assert sum(outcomes.values()) == PER_SOURCE
    assert outcomes["error"] > PER_SOURCE // 10     # the mutator really damages blobs
