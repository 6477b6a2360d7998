"""One program of a built object verified by the live kernel (through libbpf) and by
``pipeline.verify``, and the comparison the kernel-oracle tests make of the two verdicts."""

from __future__ import annotations

import errno

import pytest

from tests.oracles import kernel


def kernel_and_ours(path, obj, prog: str, *, level: int = 1, target_btf=None,
                    skip_eperm: bool = False):
    """(the kernel's LoadResult, its processed-insn count or None, our Verdict)."""
    import pipeline
    res = kernel.load_object(path, prog, log_level=level)
    try:
        processed = kernel.prog_info(res.fd).verified_insns if res.accepted else None
    finally:
        res.close()
    if skip_eperm and not res.accepted and res.errno == errno.EPERM:
        pytest.skip("the kernel refuses this load here (EPERM)")
    assert res.reached_kernel, res.error
    kw = {"target_btf": target_btf} if target_btf is not None else {}
    return res, processed, pipeline.verify(obj, prog, log_level=level, **kw)


def assert_same_verdict(res, processed, ours) -> None:
    """Same verdict; the same processed-insn count when both accept, the same verdict line
    when both reject."""
    assert ours.accepted == res.accepted, (ours.error_line, res.log)
    if res.accepted:
        assert ours.processed_insns == processed
    else:
        assert ours.error_line == res.error_line, res.log
