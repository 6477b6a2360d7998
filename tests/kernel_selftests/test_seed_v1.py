"""The v1 series' own selftest programs (../shared/seed), unchanged, through our tools.

progs/stack_arg.c and progs/stack_arg_kfunc.c are taken from the seed's patch text at test
time (new files: their `+` lines), built against a vmlinux.h dumped from this machine's BTF,
and run as the v1 prog_tests/stack_arg.c runs them (pkt_v4 input).  Expected values are that
file's: nesting 29 with a..e = 0, f = 6, g = 7, i = 8; global_many_args 36; the kfuncs 36, 45,
51 (under `kernel="testmod_v1"`); and the async callback's timer_result, the sum of
10..80 = 360.  The v1 bpf_testmod_kfunc.h is only in the seed as hunks of an existing file, so
its three stack-argument prototypes and struct prog_test_pass1 are written out here.
Skips without the seed, /sys/kernel/btf/vmlinux or bpftool.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import pipeline

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seed" / "bpf-stack-arguments-v1-series-and-review.txt"
VMLINUX = Path("/sys/kernel/btf/vmlinux")
BPFTOOL = shutil.which("bpftool")
PKT_V4 = bytes(54)

pytestmark = [pytest.mark.skipif(not SEED.exists(), reason=f"no {SEED}"),
              pytest.mark.skipif(not VMLINUX.exists() or BPFTOOL is None,
                                 reason="needs /sys/kernel/btf/vmlinux and bpftool")]

V1_HEADER = """#pragma once
/* the v1 series' additions to test_kmods/bpf_testmod_kfunc.h (seed patch 08) */
struct prog_test_pass1 { int x0; struct { int x1; struct { int x2; struct { int x3; }; }; }; };
__u64 bpf_kfunc_call_stack_arg(__u64 a, __u64 b, __u64 c, __u64 d,
                               __u64 e, __u64 f, __u64 g, __u64 h) __ksym;
__u64 bpf_kfunc_call_stack_arg_ptr(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
                                   struct prog_test_pass1 *p) __ksym;
__u64 bpf_kfunc_call_stack_arg_mix(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
                                   struct prog_test_pass1 *p, __u64 f,
                                   struct prog_test_pass1 *q) __ksym;
"""


def new_file(patch: str, path: str) -> str:
    """The text of a file the patch series adds (its first `new file` diff)."""
    m = re.search(rf"^diff --git a/{re.escape(path)} b/{re.escape(path)}\nnew file mode.*?\n"
                  rf"@@[^\n]*\n(.*?)(?=^diff --git |^-- $)", patch, re.S | re.M)
    assert m, path
    return "".join(line[1:] + "\n" for line in m.group(1).splitlines() if line.startswith("+"))


@pytest.fixture(scope="module")
def progs(tmp_path_factory) -> Path:
    top = tmp_path_factory.mktemp("seed_v1")
    patch = SEED.read_text()
    (top / "progs").mkdir()
    (top / "test_kmods").mkdir()
    for name in ("stack_arg.c", "stack_arg_kfunc.c"):
        (top / "progs" / name).write_text(
            new_file(patch, f"tools/testing/selftests/bpf/progs/{name}"))
    (top / "test_kmods" / "bpf_testmod_kfunc.h").write_text(V1_HEADER)
    out = subprocess.run([BPFTOOL, "btf", "dump", "file", str(VMLINUX), "format", "c"],
                         capture_output=True, check=True)
    (top / "vmlinux.h").write_bytes(out.stdout)
    return top


def build(progs: Path, name: str):
    return pipeline.build(progs / "progs" / name, include=[progs],
                          cflags=["-g", "-Wall", "-Werror", "-std=gnu11",
                                  "-Wno-compare-distinct-pointer-types"])


def test_nesting_gives_29(progs):
    obj = build(progs, "stack_arg.c")
    values = {"a": 0, "b": 0, "c": 0, "d": 0, "e": 0, "f": 6, "g": 7, "i": 8}
    assert pipeline.run(obj, "test", data=PKT_V4, globals=values).retval == 29


def test_global_many_args_gives_36(progs):
    assert pipeline.run(build(progs, "stack_arg.c"), "test_global_many_args",
                        data=PKT_V4).retval == 36


def test_async_callback_leaves_360(progs):
    res = pipeline.run(build(progs, "stack_arg.c"), "test_async_cb_many_args", data=PKT_V4)
    assert res.retval == 0 and res.globals["timer_result"] == 360


@pytest.mark.parametrize("prog, want", [("test_stack_arg_scalar", 36),
                                        ("test_stack_arg_ptr", 45),
                                        ("test_stack_arg_mix", 51)])
def test_v1_kfuncs(progs, prog, want):
    obj = build(progs, "stack_arg_kfunc.c")
    assert pipeline.run(obj, prog, data=PKT_V4, kernel="testmod_v1").retval == want
