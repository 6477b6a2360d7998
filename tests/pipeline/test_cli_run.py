"""``python -m pipeline run``: the CLI contract of DESIGN.md §7 for running programs.

Through real subprocesses: the JSON shape ``{"prog", "retval", "engine", "globals",
"verifier": {...}, "kfunc_calls": [...]}``, exit codes (0 ran, 1 rejected by the
verifier or a runtime fault, 2 bad invocation), globals readable and writable like a
libbpf skeleton (``--set``, .data/.bss/.rodata), ``--data`` as hex or ``@FILE``,
both engines agreeing, ``--repeat`` keeping state, kfunc calls traced, and never a
traceback.  Expected values are worked out from the C source in each test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUM10 = ROOT / "examples" / "sum10.c"


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "run", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def run_json(*args: str) -> tuple[int, dict]:
    p = cli(*args, "--json")
    assert "Traceback" not in p.stderr, p.stderr
    return p.returncode, json.loads(p.stdout)


@pytest.fixture(scope="module")
def progs(tmp_path_factory, clang22) -> Path:
    d = tmp_path_factory.mktemp("run_progs")
    (d / "globals.c").write_text(r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
const volatile int scale = 3;   /* .rodata: settable before load only */
int counter = 10;               /* .data */
long total;                     /* .bss */
signed char small = -2;
SEC("socket")
int prog(struct __sk_buff *skb)
{
	counter += 1;
	total += scale * counter + small;
	bpf_printk("total %ld", total);
	return total;
}
char _license[] SEC("license") = "GPL";
""")
    (d / "packet.c").write_text(r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tc")
int prog(struct __sk_buff *skb)
{
	unsigned char *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	if (data + 15 > end)
		return 1000 + skb->len;
	return data[14] * 256 + skb->len;
}
char _license[] SEC("license") = "GPL";
""")
    (d / "fault.c").write_text(r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tc")
int prog(struct __sk_buff *skb)
{
	return *(volatile long *)(long)skb->mark;   /* reads address 0 */
}
char _license[] SEC("license") = "GPL";
""")
    (d / "kfunc.c").write_text(r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
extern unsigned long bpf_kfunc_call_stack_arg(unsigned long a, unsigned long b,
	unsigned long c, unsigned long d, unsigned long e, unsigned long f, unsigned long g,
	unsigned long h, unsigned long i, unsigned long j) __ksym;
SEC("tc")
int prog(struct __sk_buff *skb)
{
	return bpf_kfunc_call_stack_arg(1, 2, 3, 4, 5, 6, 7, 8, 9, 10 + skb->len);
}
char _license[] SEC("license") = "GPL";
""")
    (d / "rodata.c").write_text(r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
const volatile int mode = 0;
SEC("socket")
int prog(struct __sk_buff *skb)
{
	if (mode == 1)
		return *(volatile long *)(long)skb->mark;   /* unsafe, unless dead code */
	return 7;
}
char _license[] SEC("license") = "GPL";
""")
    (d / "pkt.bin").write_bytes(bytes(14) + b"\x07" + bytes(5))
    return d


# --- sum10: the stack-argument example ---------------------------------------------------

def test_sum10_verified_run():
    """Until the verifier implements the stack-argument rules it rejects r11 (exit 1, the
    verifier's message); once it does, the verified run gives 55 with its statistics."""
    rc, doc = run_json(SUM10)
    if rc == 1:
        assert doc["error"]["kind"] == "verifier"
        assert "R11 is invalid" in doc["error"]["message"]
    else:
        assert rc == 0 and doc["retval"] == 55 and doc["verifier"]["processed_insns"] > 0


def test_sum10_runs_unverified():
    rc, doc = run_json(SUM10, "--no-verify")
    assert rc == 0
    assert {"prog", "retval", "engine", "globals", "verifier", "kfunc_calls"} <= set(doc)
    assert doc["prog"] == "sum" and doc["retval"] == 55 and doc["engine"] == "unicorn"
    assert doc["globals"] == {"calls": 1, "step": 1}
    assert doc["verifier"] == {"skipped": True} and doc["kfunc_calls"] == []


def test_sum10_set_engine_and_repeat():
    rc, doc = run_json(SUM10, "--no-verify", "--set", "step=3", "--repeat", "4")
    assert rc == 0 and doc["retval"] == 165 and doc["globals"] == {"calls": 4, "step": 3}
    rc, doc = run_json(SUM10, "--no-verify", "--set", "step=-1", "--engine", "interp")
    assert rc == 0 and doc["engine"] == "interp"
    assert doc["retval"] == (-55) & 0xFFFFFFFF and doc["r0"] == (-55) & (2**64 - 1)
    assert doc["globals"]["step"] == -1


def test_text_output():
    p = cli(SUM10, "--no-verify")
    assert p.returncode == 0
    assert "retval 55" in p.stdout and "calls = 1" in p.stdout


# --- verified programs, globals, packets ------------------------------------------------

def test_globals_verified_and_traced(progs):
    rc, doc = run_json(progs / "globals.c")
    assert rc == 0
    assert doc["verifier"]["processed_insns"] > 0
    # counter 10 -> 11; total = 3 * 11 - 2 = 31
    assert doc["retval"] == 31
    assert doc["globals"] == {"scale": 3, "counter": 11, "total": 31, "small": -2}
    assert doc["trace"] == ["total 31"]
    rc, doc = run_json(progs / "globals.c", "--set", "scale=5", "--set", "counter=0x20",
                       "--set", "total=100", "--repeat", "2")
    # run 1: counter 33, total 100 + 165 - 2 = 263; run 2: counter 34, total 263 + 170 - 2
    assert rc == 0 and doc["retval"] == 431
    assert doc["globals"]["counter"] == 34 and doc["globals"]["scale"] == 5


def test_engines_agree_on_globals(progs):
    a = run_json(progs / "globals.c", "--set", "small=7")[1]
    b = run_json(progs / "globals.c", "--set", "small=7", "--engine", "interp")[1]
    assert a["retval"] == b["retval"] == 3 * 11 + 7
    assert a["globals"] == b["globals"]


def test_rodata_set_before_load_is_what_the_verifier_sees(progs):
    """A frozen .rodata is constant to the verifier: --set decides which code is dead."""
    rc, doc = run_json(progs / "rodata.c")
    assert rc == 0 and doc["retval"] == 7 and doc["globals"] == {"mode": 0}
    rc, doc = run_json(progs / "rodata.c", "--set", "mode=1")
    assert rc == 1 and doc["error"]["kind"] == "verifier"
    rc, doc = run_json(progs / "rodata.c", "--set", "mode=2")
    assert rc == 0 and doc["globals"] == {"mode": 2}


def test_packet_data_hex_and_file(progs):
    rc, doc = run_json(progs / "packet.c", "--data", "00" * 14 + "09 01 02")
    assert rc == 0 and doc["retval"] == 9 * 256 + 17
    rc, doc = run_json(progs / "packet.c", "--data", f"@{progs / 'pkt.bin'}")
    assert rc == 0 and doc["retval"] == 7 * 256 + 20
    rc, doc = run_json(progs / "packet.c")        # default: 64 zero bytes
    assert rc == 0 and doc["retval"] == 64


def test_runtime_fault_is_exit_1(progs):
    rc, doc = run_json(progs / "fault.c", "--no-verify")
    assert rc == 1 and doc["error"]["kind"] == "runtime"
    assert "invalid memory read" in doc["error"]["message"]
    rc, doc = run_json(progs / "fault.c")          # the verifier catches it first
    assert rc == 1 and doc["error"]["kind"] == "verifier"


def test_kfunc_calls_are_reported(progs):
    rc, doc = run_json(progs / "kfunc.c", "--no-verify", "--data", "00" * 20)
    assert rc == 0
    assert doc["retval"] == sum(range(1, 11)) + 20
    assert doc["kfunc_calls"] == [{"name": "bpf_kfunc_call_stack_arg",
                                   "args": [1, 2, 3, 4, 5, 6, 7, 8, 9, 30],
                                   "ret": sum(range(1, 11)) + 20}]


# --- bad invocations: exit 2, one JSON error, no traceback ---------------------------------

@pytest.mark.parametrize("args", [
    ("--set", "nosuch=1", "--no-verify"),
    ("--set", "step", "--no-verify"),
    ("--set", "step=abc", "--no-verify"),
    ("--data", "zz"),
    ("--data", "@/nonexistent/file"),
    ("--prog", "nosuch"),
    ("--engine", "native", "--no-verify"),     # native runs only verified programs
    ("--repeat", "0"),
    ("--timeout", "0"),
    ("--prog-array", "nomap=0:sum"),
], ids=lambda a: " ".join(a))
def test_bad_invocation_is_exit_2(args):
    rc, doc = run_json(SUM10, *args)
    assert rc == 2, doc
    assert set(doc["error"]) == {"kind", "message", "location"}


def test_missing_file_is_exit_2(tmp_path):
    rc, doc = run_json(tmp_path / "nope.c")
    assert rc == 2 and doc["error"]["kind"] == "io"
