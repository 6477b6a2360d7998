"""engine="native": the verified JIT image as machine code in a child process (x86-64 Linux).

Same answers as unicorn; faults name the BPF instruction and never take the caller down; a
runaway program ends at the wall-clock limit; an unverified program is refused."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pipeline
from pipeline import exec_native
from pipeline.execute import execute

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(exec_native.available() is not None,
                                reason=str(exec_native.available()))


@pytest.fixture(scope="module")
def sum10():
    return pipeline.load(ROOT / "examples" / "sum10.c")


def test_sum10_gives_55_natively(sum10):
    res = pipeline.run(sum10, "sum", engine="native")
    assert (res.retval, res.engine, res.globals) == (55, "native", {"calls": 1, "step": 1})
    res = pipeline.run(sum10, "sum", engine="native", globals={"step": 2}, repeat=3)
    assert (res.retval, res.globals["calls"]) == (110, 3)


def test_cli_engine_native(sum10):
    out = subprocess.run([sys.executable, "-m", "pipeline", "run", "examples/sum10.c",
                          "--engine", "native", "--json"], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert (doc["retval"], doc["engine"]) == (55, "native")


def test_unverified_programs_are_refused(sum10):
    with pytest.raises(pipeline.Error) as e:
        pipeline.run(sum10, "sum", engine="native", verify=False)
    assert e.value.kind == "usage" and "only verified programs" in str(e.value)
    out = subprocess.run([sys.executable, "-m", "pipeline", "run", "examples/sum10.c",
                          "--engine", "native", "--no-verify"], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 2 and "only verified programs" in out.stderr


def _patched(obj, prog, patch: bytes):
    """The verified image of ``prog`` with the code of its first body instruction that is
    long enough (and not relocated) replaced by ``patch`` (test-only corruption)."""
    v = pipeline.verify(obj, prog)
    img = pipeline.jit(obj, prog, verdict=v)
    offs, f = img.insn_offsets, img.funcs[0]
    i = next(i for i in range(f.start, f.end - 1) if offs[i] >= 0
             and offs[i + 1] - offs[i] >= len(patch)
             and not any(r.insn == i for r in img.relocs))
    code = bytearray(img.code)
    code[offs[i]:offs[i] + len(patch)] = patch
    return i, v, dataclasses.replace(img, code=bytes(code))


def test_a_fault_names_the_bpf_insn_and_the_caller_survives(sum10):
    p = sum10.program("sum")
    insn, v, bad = _patched(sum10, "sum", bytes.fromhex("31c08b00"))   # xor eax,eax; mov eax,[rax]
    with pytest.raises(pipeline.Error) as e:
        execute(sum10, p, sum10.linked(p), image=bad, verdict=v, engine="native")
    assert e.value.kind == "runtime" and e.value.exit_code == 1
    assert f"SIGSEGV at insn {insn}" in str(e.value) and "address 0x0" in str(e.value)
    assert e.value.location == f"insn {insn}"
    assert pipeline.run(sum10, "sum", engine="native").retval == 55    # still here


def test_a_runaway_loop_ends_at_the_time_limit(sum10):
    p = sum10.program("sum")
    _, v, bad = _patched(sum10, "sum", b"\xEB\xFE")                    # jmp $
    t0 = time.monotonic()
    with pytest.raises(pipeline.Error) as e:
        execute(sum10, p, sum10.linked(p), image=bad, verdict=v, engine="native", timeout=1)
    assert e.value.kind == "runtime" and "time limit of 1 s exceeded" in str(e.value)
    assert time.monotonic() - t0 < 5


def test_seccomp_filter_refuses_open_exec_and_fork():
    pid = os.fork()
    if pid == 0:
        code = 10
        try:
            if exec_native.seccomp_filter():
                code = 11
                try:
                    os.open("/etc/hostname", os.O_RDONLY)
                except PermissionError:
                    code = 12
                    try:
                        os.execv("/bin/true", ["true"])
                    except PermissionError:
                        code = 13
                        try:
                            os.fork()          # glibc: clone
                        except PermissionError:
                            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code == 10:
        pytest.skip("the kernel refuses seccomp filters here")
    assert code == 0, code


def test_ld_abs_natively():
    """LD_ABS/LD_IND go through a stub that also returns the out-of-range flag in rdx."""
    obj = pipeline.load(ROOT / "tests" / "data" / "disasm" / "29_ld_abs.c")
    for data in (bytes(range(200)), bytes(range(40)), bytes([0] * 14 + [0x45] + [1] * 100)):
        assert pipeline.run(obj, engine="native", data=data).retval == \
            pipeline.run(obj, engine="unicorn", data=data).retval


_NULL_DEREF = r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4);
         __type(key, __u32); __type(value, __u64); } table SEC(".maps");
SEC("tc") int lookup(struct __sk_buff *skb)
{
    __u32 key = 3;                       /* never inserted: the lookup returns NULL */
    __u64 *v = bpf_map_lookup_elem(&table, &key);
    return *v;                           /* no NULL check */
}
char LICENSE[] SEC("license") = "GPL";
"""


def test_an_injected_verifier_bug_faults_natively_and_names_the_insn(tmp_path, monkeypatch, sum10):
    """Hardening: a verifier made unsound on purpose (test-only: bpf_map_lookup_elem's result
    typed never-NULL) accepts a NULL dereference; the native engine faults on the load, names
    that BPF instruction, and the caller survives."""
    from tests.oracles import kernel
    from verifier import helpers as H
    src = tmp_path / "null_deref.c"
    src.write_text(_NULL_DEREF)
    obj = pipeline.load(src)
    sound = pipeline.verify(obj, "lookup")
    assert not sound.accepted and "invalid mem access 'map_value_or_null'" in sound.error_line
    if kernel.kernel_available():      # the live kernel rejects it too
        assert not kernel.load_object(obj.path, "lookup").accepted
    monkeypatch.setitem(H.HELPERS, 1, dataclasses.replace(H.HELPERS[1], ret_flags=0))
    unsound = pipeline.verify(obj, "lookup")
    assert unsound.accepted
    insns = obj.linked(obj.program("lookup")).insns
    load = next(i for i, ins in enumerate(insns) if ins.code == 0x79 and ins.src == 0)  # r = *(u64 *)(r0 + 0)
    with pytest.raises(pipeline.Error) as e:
        pipeline.run(obj, "lookup", engine="native", verdict=unsound)
    assert e.value.kind == "runtime" and e.value.exit_code == 1
    assert f"SIGSEGV at insn {load}" in str(e.value) and "address 0x0" in str(e.value)
    monkeypatch.undo()
    assert pipeline.run(sum10, "sum", engine="native").retval == 55    # still here
