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


def _kernel_objects_reason() -> str | None:
    for ok, why in (kernel.kernel_available(), kernel.libbpf_available()):
        if not ok:
            return why or "bpf() or libbpf unavailable"
    return None


# a mark for a module or test that loads objects through libbpf into the live kernel
needs_kernel_objects = pytest.mark.skipif(_kernel_objects_reason() is not None,
                                          reason=_kernel_objects_reason() or "")


def object_builder(tmp_path_factory, tag: str, sources: dict[str, str], head: str, tail: str):
    """``get(name) -> (path, pipeline.Object)``: ``head + sources[name] + tail`` built once
    per name (through the public API) into a directory of its own."""
    import pipeline
    out = tmp_path_factory.mktemp(tag)
    built: dict = {}

    def get(name: str):
        if name not in built:
            src = out / f"{name}.c"
            src.write_text(head + sources[name] + tail)
            path = out / f"{name}.o"
            built[name] = (path, pipeline.build(src, output=path))
        return built[name]
    return get


# a mark for a module or test that loads raw programs into the live kernel
needs_kernel = pytest.mark.skipif(not kernel.kernel_available()[0],
                                  reason=kernel.kernel_available()[1] or "bpf() available")
