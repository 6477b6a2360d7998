"""Per-subprogram stack depth equals the kernel's, as BPF_LOG_STATS prints it (``stack depth
A+B``), on every verifier-corpus program the kernel accepts: whole 8-byte slots
(grow_stack_state) plus bpf_loop inlining's three slots (optimize_bpf_loop).  The JIT sizes
frames by these numbers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_TESTS = str(Path(__file__).resolve().parent.parent)
if _TESTS not in sys.path:
    sys.path.append(_TESTS)

from oracles import corpus, kernel  # noqa: E402

from verifier import verify  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_inputs import input_for  # noqa: E402

_OK, _WHY = kernel.kernel_available()
pytestmark = pytest.mark.skipif(not _OK, reason=_WHY or "bpf() available")


def test_stack_depth_equals_kernel_stats(tmp_path, clang22):
    compared, differ = 0, []
    for entry in corpus.iter_corpus():
        try:
            obj = corpus.build(entry, tmp_path, clang22)
        except RuntimeError:
            continue
        with corpus.kernel_load(entry, obj, log_level=4) as res:      # BPF_LOG_STATS
            if not res.accepted:
                continue
            want = next(ln for ln in res.log.splitlines() if ln.startswith("stack depth "))
        v = verify(input_for(entry, obj), 1)
        got = "stack depth " + "+".join(str(d) for d in v.stack_depths)
        compared += 1
        if got != want:
            differ.append(f"{entry.name}: kernel '{want}', ours '{got}'")
    assert compared > 100, compared
    assert not differ, "\n".join(differ)
