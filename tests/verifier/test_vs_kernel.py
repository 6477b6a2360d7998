"""Our verifier against the live kernel on every verifier-corpus program.

For each entry in tests/data/verifier_corpus the kernel is asked (BPF_PROG_LOAD through
the oracle harness, nothing cached) and so is our verifier. Asserted:

* the verdicts agree (accepted / rejected);
* we never accept a program the kernel rejects.

Reported (printed; run with ``-s`` to see it): for rejections, whether our verdict line
equals the kernel's; for accepted programs, our processed instructions against the
kernel's ``verified_insns`` and the aggregate ratio. Skips with the reason where bpf()
is denied.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

_TESTS = str(Path(__file__).resolve().parent.parent)
if _TESTS not in sys.path:
    sys.path.append(_TESTS)

from oracles import corpus, kernel  # noqa: E402

from verifier import verify  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_inputs import input_for, last_error_line  # noqa: E402

ENTRIES = corpus.iter_corpus()
_OK, _WHY = kernel.kernel_available()
pytestmark = pytest.mark.skipif(not _OK, reason=_WHY or "bpf() available")


def _kernel_verdict(entry, obj):
    """(reached_kernel, accepted, verdict line, verified_insns) from one level-1 load."""
    with corpus.kernel_load(entry, obj, log_level=1) as res:
        if not res.reached_kernel:
            return False, False, res.error, None
        vi = kernel.prog_info(res.fd).verified_insns if res.accepted else None
        return True, res.accepted, "" if res.accepted else res.error_line, vi


@pytest.fixture(scope="module")
def judged(tmp_path_factory, clang22):
    """name -> (kernel verdict, our Verdict or the exception building its input)."""
    out = tmp_path_factory.mktemp("corpus_vs_kernel")

    def kernel_side(entry):
        try:
            obj = corpus.build(entry, out, clang22)
        except RuntimeError as exc:
            return entry.name, (None, exc)
        return entry.name, (obj, _kernel_verdict(entry, obj))

    with ThreadPoolExecutor(max_workers=2) as pool:
        ksides = dict(pool.map(kernel_side, ENTRIES))
    results = {}
    for entry in ENTRIES:
        obj, kv = ksides[entry.name]
        if obj is None:
            results[entry.name] = (None, kv)
            continue
        try:
            ours = verify(input_for(entry, obj), log_level=1)
        except Exception as exc:  # noqa: BLE001 - reported by the per-entry test
            ours = exc
        results[entry.name] = (kv, ours)
    return results


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_verdict_matches_kernel(entry, judged):
    kv, ours = judged[entry.name]
    if kv is None:
        pytest.skip(f"does not build: {ours}")
    reached, k_accepted, k_line, _ = kv
    if not reached:
        pytest.skip(f"the loader failed before the kernel verifier ran: {k_line}")
    assert not isinstance(ours, Exception), f"building/verifying raised {ours!r}"
    assert ours.internal_error is None, ours.internal_error
    if not k_accepted:
        assert not ours.accepted, f"UNSAFE: we accept what the kernel rejects ({k_line!r})"
    assert ours.accepted == k_accepted, (
        f"kernel {'accepted' if k_accepted else 'rejected: ' + k_line!r}; "
        f"we {'accepted' if ours.accepted else 'rejected: ' + ours.error_line!r}")


def test_agreement_report(judged):
    """Prints how closely we follow the kernel beyond the verdict."""
    rej = same_line = 0
    ours_total = kernel_total = exact = n_acc = 0
    lines = []
    for name, (kv, ours) in judged.items():
        if kv is None or isinstance(ours, Exception) or not kv[0]:
            continue
        _, k_acc, k_line, vi = kv
        if not k_acc and not ours.accepted:
            rej += 1
            mine = last_error_line(ours.log)
            if mine == k_line:
                same_line += 1
            else:
                lines.append(f"  {name}: kernel {k_line!r} / ours {mine!r}")
        if k_acc and ours.accepted:
            n_acc += 1
            ours_total += ours.processed_insns
            kernel_total += vi
            exact += ours.processed_insns == vi
            if ours.processed_insns != vi:
                lines.append(f"  {name}: processed {ours.processed_insns} vs kernel {vi}")
    ratio = ours_total / kernel_total if kernel_total else 1.0
    print(f"\nrejections with the kernel's verdict line: {same_line}/{rej}")
    print(f"processed insns ours/kernel over {n_acc} accepted programs: "
          f"{ours_total}/{kernel_total} = {ratio:.3f} ({exact} exact)")
    print("\n".join(lines))
    assert n_acc > 0
