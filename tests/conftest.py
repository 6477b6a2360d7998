"""Shared test fixtures: locating external oracles (clang-22, llvm-objdump-22, bpftool)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CONFORMANCE_DIR = SHARED / "conformance"


def _tool(name: str) -> str | None:
    return shutil.which(name)


@pytest.fixture(scope="session")
def clang22() -> str:
    path = _tool("clang-22")
    if not path:
        pytest.skip("clang-22 not installed (CI installs it: apt-get install clang-22)")
    return path


@pytest.fixture(scope="session")
def objdump22() -> str:
    path = _tool("llvm-objdump-22")
    if not path:
        pytest.skip("llvm-objdump-22 not installed (CI installs llvm-22)")
    return path


@pytest.fixture(scope="session")
def bpftool() -> str:
    path = _tool("bpftool")
    if not path:
        pytest.skip("bpftool not installed (CI installs it)")
    return path


@pytest.fixture(scope="session")
def hello_obj(tmp_path_factory) -> Path:
    """``examples/hello.c`` built with the project's own toolchain (built objects are not committed)."""
    from toolchain.driver import compile_c
    from toolchain.errors import ToolchainError

    out = tmp_path_factory.mktemp("examples") / "hello.bpf.o"
    try:
        compile_c(ROOT / "examples" / "hello.c", out)
    except ToolchainError as exc:
        pytest.skip(f"no usable compiler for examples/hello.c: {exc}")
    return out


@pytest.fixture(scope="session")
def checks_objects(clang22, tmp_path_factory) -> Path:
    """The toolchain check corpus (tests/oracles/checks_corpus.py) built with the project's
    toolchain at every -O level: ``<stem>.O<level>.o`` in one directory."""
    from toolchain.driver import CompileOptions, compile_c

    from tests.oracles.checks_corpus import FILES, LEVELS
    out = tmp_path_factory.mktemp("checks")
    for src in FILES:
        for level in LEVELS:
            compile_c(src, out / f"{src.stem}.O{level}.o", CompileOptions(opt_level=level))
    return out


@pytest.fixture(scope="session")
def checks_native(clang22, tmp_path_factory) -> dict[str, int]:
    """The oracle for that corpus: each file compiled natively by clang and run (file name ->
    result)."""
    from tests.oracles.checks_corpus import native_results
    return native_results(clang22, tmp_path_factory.mktemp("native"))


def compile_bpf(clang: str, src: Path, out: Path, *flags: str) -> Path:
    """Compile C to a BPF object with a plain clang (an oracle path independent of toolchain/)."""
    cmd = [clang, "--target=bpf", "-g", "-O2", "-c", str(src), "-o", str(out), *flags]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out
