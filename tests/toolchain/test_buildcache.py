"""The build cache (toolchain.buildcache): a hit gives the bytes a fresh compile gives, and
anything that could change the object misses: the source, an included header, a header
that would now be found earlier in the search path, the flags.  Oracles: a compile
without the cache (clang run again) and llvm-objdump-22 reading the constant the header
put into the code.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toolchain import buildcache, driver
from toolchain.driver import CompileOptions, compile_c

ROOT = Path(__file__).resolve().parents[2]

SOURCE = """
#include <linux/bpf.h>
#include "limits.h"
#define SEC(n) __attribute__((section(n), used))
SEC("xdp") int prog(struct xdp_md *ctx) { return (ctx->data & 0xff) + LIMIT; }
char _license[] SEC("license") = "GPL";
"""


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _age(*paths: Path) -> None:
    """Files written a minute ago: the cache refuses to record files younger than the compile."""
    t = time.time() - 60
    for p in paths:
        os.utime(p, (t, t))


def _project(tmp_path: Path, limit: int) -> tuple[Path, Path]:
    inc = tmp_path / "inc"
    inc.mkdir(exist_ok=True)
    (inc / "limits.h").write_text(f"#define LIMIT {limit}\n")
    src = tmp_path / "p.c"
    src.write_text(SOURCE)
    _age(src, inc / "limits.h", inc, tmp_path)
    return src, inc


def _limit_in_code(objdump: str, obj: Path) -> int:
    """The constant `LIMIT + x` added, as llvm-objdump prints the program."""
    text = subprocess.run([objdump, "-d", str(obj)], capture_output=True, text=True,
                          check=True).stdout
    m = re.search(r"\+= (0x[0-9a-f]+|\d+)$", text, re.M)
    assert m, text
    return int(m.group(1), 0)


def _compile(src, out, clang, inc, **kw):
    opts = CompileOptions(include_dirs=[str(d) for d in inc], cache=True, **kw)
    return compile_c(src, out, opts, compiler=clang)


def test_hit_gives_the_fresh_bytes_without_clang(clang, tmp_path, monkeypatch):
    src, inc = _project(tmp_path, 301)
    first = _compile(src, tmp_path / "a.o", clang, [inc])
    assert not first.cached
    fresh = compile_c(src, tmp_path / "fresh.o", CompileOptions(include_dirs=[str(inc)]),
                      compiler=clang)
    assert not fresh.cached

    def no_clang(*a, **k):
        raise AssertionError("clang ran on a cache hit")
    monkeypatch.setattr(driver, "_run", no_clang)
    monkeypatch.setattr(driver.subprocess, "run", no_clang)
    hit = _compile(src, tmp_path / "b.o", clang, [inc])
    assert hit.cached and hit.self_checked == first.self_checked
    assert hit.commands == first.commands and hit.warnings == first.warnings
    assert (tmp_path / "b.o").read_bytes() == (tmp_path / "fresh.o").read_bytes()


def test_editing_an_included_header_rebuilds(clang, objdump22, tmp_path):
    src, inc = _project(tmp_path, 301)
    _compile(src, tmp_path / "a.o", clang, [inc])
    assert _compile(src, tmp_path / "a.o", clang, [inc]).cached
    assert _limit_in_code(objdump22, tmp_path / "a.o") == 301
    (inc / "limits.h").write_text("#define LIMIT 303\n")        # same size, new bytes
    _age(inc / "limits.h")
    res = _compile(src, tmp_path / "a.o", clang, [inc])
    assert not res.cached
    assert _limit_in_code(objdump22, tmp_path / "a.o") == 303


def test_a_header_found_earlier_now_rebuilds(clang, objdump22, tmp_path):
    src, inc = _project(tmp_path, 301)
    first = tmp_path / "first"
    first.mkdir()
    _age(first)
    _compile(src, tmp_path / "a.o", clang, [first, inc])
    assert _compile(src, tmp_path / "a.o", clang, [first, inc]).cached
    (first / "limits.h").write_text("#define LIMIT 777\n")         # now shadows inc/limits.h
    _age(first / "limits.h")
    res = _compile(src, tmp_path / "a.o", clang, [first, inc])
    assert not res.cached
    assert _limit_in_code(objdump22, tmp_path / "a.o") == 777


def test_source_and_flags_are_in_the_key(clang, tmp_path):
    src, inc = _project(tmp_path, 301)
    _compile(src, tmp_path / "a.o", clang, [inc])
    assert not _compile(src, tmp_path / "a.o", clang, [inc], defines=["X=1"]).cached
    assert not _compile(src, tmp_path / "a.o", clang, [inc], opt_level="1").cached
    src.write_text(SOURCE + "\n")
    _age(src)
    assert not _compile(src, tmp_path / "a.o", clang, [inc]).cached


def test_files_newer_than_the_compile_are_not_recorded(clang, tmp_path):
    src, inc = _project(tmp_path, 301)
    os.utime(inc / "limits.h")                     # written "now": it may change under clang
    _compile(src, tmp_path / "a.o", clang, [inc])
    assert not _compile(src, tmp_path / "a.o", clang, [inc]).cached


def test_off_unless_asked(clang, tmp_path):
    src, inc = _project(tmp_path, 301)
    for _ in range(2):
        res = compile_c(src, tmp_path / "a.o", CompileOptions(include_dirs=[str(inc)]),
                        compiler=clang)
        assert not res.cached
    assert not (tmp_path / "cache" / "stackargs" / "objects").exists()


def test_cli_uses_the_cache_and_no_cache_compiles(tmp_path):
    src, inc = _project(tmp_path, 301)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("STACKARGS_NO_CACHE", None)

    def build(*extra):
        out = subprocess.run([sys.executable, "-m", "pipeline", "build", str(src), "-I",
                              str(inc), "-o", str(tmp_path / "c.o"), "--json", *extra],
                             capture_output=True, text=True, cwd=ROOT, env=env)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)
    assert build()["cached"] is False
    again = build()
    assert again["cached"] is True and again["programs"][0]["name"] == "prog"
    assert build("--no-cache")["cached"] is False


@pytest.mark.parametrize("text,deps", [
    ("a.o: a.c /usr/include/linux/bpf.h \\\n  /x/y.h\n", ["a.c", "/usr/include/linux/bpf.h", "/x/y.h"]),
    ("a.o: dir\\ with\\ space/h.h b.h\n", ["dir with space/h.h", "b.h"]),
    ("no rule here\n", []),
])
def test_depfile(text, deps):
    assert buildcache.parse_depfile(text) == deps
