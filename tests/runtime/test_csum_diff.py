"""bpf_csum_diff equals the live kernel's (BPF_PROG_TEST_RUN of the same object on the same
packet): every size pair of tests/data/runtime/csum_diff.c (incl. unaligned and > 512-byte
totals), all-zero, all-ones and random inputs from a fixed seed."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeline
from pipeline.kernel import INCLUDE_DIR
from tests.oracles import kernel as K
from tests.seeds import rng
from tests.support.skips import need_kernel_objects

SRC = Path(__file__).resolve().parents[1] / "data" / "runtime" / "csum_diff.c"
RANDOM_CASES = 5


@pytest.fixture(scope="module")
def obj():
    need_kernel_objects()
    return pipeline.build(SRC, include=[INCLUDE_DIR])


def _packets(f: int, t: int, r) -> list[bytes]:
    n = 4 + f + t
    out = [bytes(n), b"\xff" * n]
    out += [bytes(r.randrange(256) for _ in range(n)) for _ in range(RANDOM_CASES)]
    return [p.ljust(600, b"\0") for p in out]


@pytest.mark.parametrize("engine", ["interp", "unicorn"])
def test_csum_diff_matches_kernel(obj, engine):
    if engine == "unicorn":
        pytest.importorskip("unicorn")
    r, seed_text = rng(0xC5D1FF)
    checked = 0
    for p in obj.programs:
        f, t = map(int, p.name.split("_")[1:])
        for data in _packets(f, t, r):
            want = K.run_object(obj.elf.path, p.name, data).retval
            got = pipeline.run(obj, p.name, data=data, engine=engine).retval
            assert got == want, (f"{p.name} on {data[:4 + f + t].hex()}: kernel {want:#x}, "
                                 f"{engine} {got:#x} ({seed_text})")
            checked += 1
    assert checked == len(obj.programs) * (2 + RANDOM_CASES) and checked >= 90
