"""Fixtures of the toolchain tests."""

from __future__ import annotations

import os

import pytest

from toolchain import discovery, probe


@pytest.fixture
def clang(clang22) -> probe.ProbeResult:
    """clang-22 as the driver sees it (discovered on PATH, probed)."""
    c = discovery.Compiler("clang-22", (clang22,), os.path.realpath(clang22), "PATH")
    res = probe.probe_cached(c)
    assert res.usable, res.problem
    return res
