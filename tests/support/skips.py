"""Skips shared by tests that need an engine or the live kernel: one place decides what
"available here" means, so every test skips for the same reason in the same words."""

from __future__ import annotations

import pytest

from pipeline import exec_native

from tests.oracles import kernel


def need_engine(engine: str) -> None:
    """Skip unless ``engine`` (unicorn / interp / native) can run on this host."""
    if engine == "unicorn":
        pytest.importorskip("unicorn")
    if engine == "native" and exec_native.available():
        pytest.skip(exec_native.available())


def need_kernel() -> None:
    """Skip unless the live kernel's bpf() loads and test-runs a program here."""
    ok, why = kernel.kernel_available()
    if not ok:
        pytest.skip(why)


def need_kernel_objects() -> None:
    """Skip unless the live kernel's bpf() and the system libbpf (for objects) answer."""
    for ok, why in (kernel.kernel_available(), kernel.libbpf_available()):
        if not ok:
            pytest.skip(why)
