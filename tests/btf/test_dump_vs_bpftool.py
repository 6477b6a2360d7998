"""raw and JSON dumps must equal `bpftool btf dump file` (Debian bpftool 7.1), the oracle.

The corpus is tests/data/btf/*.c, compiled with clang-22 at test time; plus the
running kernel's /sys/kernel/btf/vmlinux when readable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import btf
from btf.dump_json import dump_json
from btf.dump_raw import dump_raw

DATA = Path(__file__).resolve().parent.parent / "data" / "btf"
NAMES = sorted(p.stem for p in DATA.glob("*.c"))
VMLINUX = Path("/sys/kernel/btf/vmlinux")
ROOT = Path(__file__).resolve().parents[2]


def test_corpus_is_big_enough():
    assert len(NAMES) >= 30


@pytest.mark.parametrize("name", NAMES)
def test_raw_equals_bpftool(name, corpus_objs, bpftool_dump):
    obj = corpus_objs[name]
    assert dump_raw(btf.load(obj).btf) == bpftool_dump(obj)


@pytest.mark.parametrize("name", NAMES)
def test_json_equals_bpftool(name, corpus_objs, bpftool_dump):
    obj = corpus_objs[name]
    assert dump_json(btf.load(obj).btf) == json.loads(bpftool_dump(obj, "-j"))


def _vmlinux_bytes() -> bytes:
    try:
        return VMLINUX.read_bytes()
    except OSError as exc:
        pytest.skip(f"{VMLINUX} not readable: {exc}")


def test_vmlinux_raw_equals_bpftool(bpftool_dump):
    data = _vmlinux_bytes()
    assert dump_raw(btf.load_bytes(data, str(VMLINUX)).btf) == bpftool_dump(VMLINUX)


def test_cli_raw_equals_bpftool(corpus_objs, bpftool_dump):
    obj = corpus_objs["03_bitfields"]
    got = subprocess.run([sys.executable, "-m", "pipeline", "btf", str(obj)], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert got == bpftool_dump(obj)


def test_cli_json_equals_bpftool(corpus_objs, bpftool_dump):
    obj = corpus_objs["06_enum64"]
    got = subprocess.run([sys.executable, "-m", "pipeline", "btf", str(obj), "--json"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(got) == json.loads(bpftool_dump(obj, "-j"))


def test_cli_bad_input_exit_2(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x9f\xeb\x01\x00" + b"\xff" * 40)
    res = subprocess.run([sys.executable, "-m", "pipeline", "btf", str(bad), "--json"], cwd=ROOT,
                         capture_output=True, text=True)
    assert res.returncode == 2
    err = json.loads(res.stdout)["error"]
    assert err["kind"] == "btf" and err["location"].startswith(".BTF+0x")
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("name", NAMES)
def test_c_equals_bpftool(name, corpus_objs, bpftool):
    from btf.dump_c import dump_c
    obj = corpus_objs[name]
    exp = subprocess.run(["bpftool", "btf", "dump", "file", str(obj), "format", "c"],
                         capture_output=True, text=True, check=True).stdout
    assert dump_c(btf.load(obj).btf) == exp


def test_c_headers_compile(corpus_objs, clang22, tmp_path):
    """Every generated header is valid C for clang (compiled together, one TU each)."""
    from btf.dump_c import dump_c
    for name, obj in corpus_objs.items():
        hdr = tmp_path / f"{name}.h"
        hdr.write_text(dump_c(btf.load(obj).btf))
        res = subprocess.run([clang22, "--target=bpf", "-fsyntax-only", "-x", "c", str(hdr)],
                             capture_output=True, text=True)
        assert res.returncode == 0, f"{name}: {res.stderr}"


def test_vmlinux_c_equals_bpftool(bpftool):
    from btf.dump_c import dump_c
    data = _vmlinux_bytes()
    exp = subprocess.run([bpftool, "btf", "dump", "file", str(VMLINUX), "format", "c"],
                         capture_output=True, text=True, check=True).stdout
    assert dump_c(btf.load_bytes(data).btf) == exp


def test_cli_format_c(corpus_objs, bpftool):
    obj = corpus_objs["04_anon_nested"]
    got = subprocess.run([sys.executable, "-m", "pipeline", "btf", str(obj), "--format", "c"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    exp = subprocess.run(["bpftool", "btf", "dump", "file", str(obj), "format", "c"],
                         capture_output=True, text=True, check=True).stdout
    assert got == exp


def test_cli_truncated_elf_exit_2(corpus_objs, tmp_path):
    cut = tmp_path / "cut.o"
    cut.write_bytes(corpus_objs["20_funcs"].read_bytes()[:100])
    res = subprocess.run([sys.executable, "-m", "pipeline", "btf", str(cut)], cwd=ROOT,
                         capture_output=True, text=True)
    assert res.returncode == 2 and res.stderr.startswith("error: ") and "Traceback" not in res.stderr


@pytest.mark.parametrize("name", ["04_anon_nested", "06_enum64", "13_decl_tags", "20_funcs"])
def test_big_endian_objects(name, build, bpftool_dump, bpftool):
    """bpfeb objects: BTF in big-endian byte order parses to the same dumps bpftool prints."""
    from btf.dump_c import dump_c
    obj = build((DATA / f"{name}.c").read_text(), f"eb_{name}", "--target=bpfeb")
    loaded = btf.load(obj)
    assert loaded.btf.endian == ">"
    assert dump_raw(loaded.btf) == bpftool_dump(obj)
    exp_c = subprocess.run([bpftool, "btf", "dump", "file", str(obj), "format", "c"],
                           capture_output=True, text=True, check=True).stdout
    assert dump_c(loaded.btf) == exp_c


def test_cli_c_source_compiled_first(tmp_path, bpftool_dump, clang22):
    """`btf FILE.c` compiles with the toolchain first; its dump equals bpftool's on the same
    toolchain's object.  Skipped where the toolchain is not usable."""
    try:
        from toolchain.driver import compile_c
        from toolchain.errors import CompileError, ToolchainError
    except ImportError as exc:
        pytest.skip(f"toolchain not available: {exc}")
    src = DATA / "22_extern7_12.c"
    obj = tmp_path / "ref.o"
    try:
        compile_c(src, obj)
    except (CompileError, ToolchainError) as exc:
        pytest.skip(f"toolchain cannot compile: {exc}")
    got = subprocess.run([sys.executable, "-m", "pipeline", "btf", str(src)], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert got == bpftool_dump(obj)
    bad = tmp_path / "bad.c"
    bad.write_text("int x = ;\n")
    res = subprocess.run([sys.executable, "-m", "pipeline", "btf", str(bad), "--json"], cwd=ROOT,
                         capture_output=True, text=True)
    assert res.returncode == 1 and json.loads(res.stdout)["error"]["kind"] == "compile"


def test_c_dump_of_a_deep_array_chain_equals_bpftool(tmp_path, bpftool):
    # 6,000 nested arrays under one typedef: the C dump must come out as bpftool's (and stay
    # linear in the depth: it was quadratic, minutes at 19,000)
    import struct
    from btf.dump_c import dump_c
    n, types = 6000, struct.pack("<IIII", 1, 1 << 24, 4, 32)          # [1] int
    for i in range(n):                                                  # [2..] int[2][2]...
        types += struct.pack("<IIIIII", 0, 3 << 24, 0, 1 + i, 1, 2)
    types += struct.pack("<III", 5, 8 << 24, 1 + n)                     # typedef ... arr
    strings = b"\0int\0arr\0"
    blob = tmp_path / "deep.btf"
    blob.write_bytes(struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types),
                                 len(strings)) + types + strings)
    want = subprocess.run([bpftool, "btf", "dump", "file", str(blob), "format", "c"],
                          check=True, capture_output=True, text=True).stdout
    assert dump_c(btf.load(blob).btf) == want
