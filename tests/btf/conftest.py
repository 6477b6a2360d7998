"""Fixtures for the btf tests: the C corpus in tests/data/btf compiled once per session."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "btf"


def _compile_bpf():
    # tests/conftest.py is not importable by name under --import-mode=importlib
    spec = importlib.util.spec_from_file_location("_top_conftest", HERE.parent / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.compile_bpf


_compile = _compile_bpf()


@pytest.fixture(scope="session")
def corpus_objs(clang22, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("btf_corpus")
    return {src.stem: _compile(clang22, src, out / f"{src.stem}.o") for src in sorted(DATA.glob("*.c"))}


@pytest.fixture(scope="session")
def build(clang22, tmp_path_factory):
    """Compile a C snippet to a BPF object: build(source_text, name, *flags) -> Path."""
    out = tmp_path_factory.mktemp("btf_snippets")

    def _build(text: str, name: str = "snippet", *flags: str) -> Path:
        src = out / f"{name}.c"
        src.write_text(text)
        return _compile(clang22, src, out / f"{name}.o", *flags)

    return _build


@pytest.fixture(scope="session")
def bpftool_dump(bpftool):
    """bpftool_dump(path, *global_opts) -> stdout of `bpftool [opts] btf dump file path`."""
    def _dump(path, *extra: str) -> str:
        return subprocess.run([bpftool, *extra, "btf", "dump", "file", str(path)], check=True,
                              capture_output=True, text=True, errors="surrogateescape").stdout
    return _dump
