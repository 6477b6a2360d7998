"""The live kernel judges the verifier corpus, and the bpf() harness itself is checked.

For every program in tests/data/verifier_corpus the kernel's verdict must equal the
file's declared intent; a rejection must carry the declared log substring; an accepted
program must report verified_insns > 0 and, when it declares one, return the declared
retval from BPF_PROG_TEST_RUN. Nothing is cached: the kernel is asked on every run.
Where bpf() is denied, everything here skips with the reason.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

# tests/ goes last on sys.path so that its test folders (tests/verifier, tests/isa, ...)
# can never shadow the project's packages of the same name.
_TESTS = str(Path(__file__).resolve().parent.parent)
if _TESTS not in sys.path:
    sys.path.append(_TESTS)

from oracles import corpus, kernel  # noqa: E402
from tests.support.skips import needs_kernel  # noqa: E402

ENTRIES = corpus.iter_corpus()


def _insn(code, dst=0, src=0, off=0, imm=0) -> bytes:
    return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)


MOV64_IMM, ADD64_IMM, EXIT, LDX_DW, ST_DW = 0xB7, 0x07, 0x95, 0x79, 0x7A
MOV64_REG, CALL, JEQ_IMM = 0xBF, 0x85, 0x15


def _ld_imm64(dst, src=0, imm=0, imm_hi=0) -> bytes:
    return _insn(0x18, dst, src, 0, imm) + _insn(0, 0, 0, 0, imm_hi)


# --- corpus ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def corpus_objects(tmp_path_factory, clang22):
    """Build every corpus program once per session (two at a time: the machine has 2 cores)."""
    out = tmp_path_factory.mktemp("verifier_corpus")

    def one(entry):
        try:
            return entry.name, corpus.build(entry, out, clang22)
        except RuntimeError as exc:
            return entry.name, exc

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, ENTRIES))


def test_corpus_shape():
    """The corpus is big and varied enough to be worth comparing against."""
    assert len(ENTRIES) >= 150, len(ENTRIES)
    kinds = {(e.kind, e.intent) for e in ENTRIES}
    assert kinds == {("c", "accept"), ("c", "reject"), ("asm", "accept"), ("asm", "reject")}
    reasons = {e.expect for e in ENTRIES if e.intent == "reject"}
    assert len(reasons) >= 40, sorted(reasons)
    assert {e.prog_type for e in ENTRIES} >= {"socket_filter", "sched_cls", "xdp"}
    assert sum(e.runnable for e in ENTRIES) >= 30
    assert any(e.data != corpus.DEFAULT_PACKET for e in ENTRIES)
    assert len({e.name for e in ENTRIES}) == len(ENTRIES)


@needs_kernel
@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_kernel_agrees_with_corpus(entry, corpus_objects, record_property):
    if entry.kind == "c" and not kernel.libbpf_available()[0]:
        pytest.skip(kernel.libbpf_available()[1])
    obj = corpus_objects[entry.name]
    if isinstance(obj, Exception):
        pytest.fail(f"build failed: {obj}")
    verdict = corpus.judge(entry, obj)
    record_property("kernel_error_line", verdict.error_line)
    record_property("verified_insns", verdict.verified_insns)
    assert verdict.problems == [], "\n".join(verdict.problems) + "\n" + verdict.log[-3000:]
    if entry.intent == "accept":
        assert verdict.verified_insns > 0
        assert verdict.xlated_insns > 0


LEVEL2_SAMPLE = ["a_bpf2bpf_call.s", "r_map_value_oob.s", "c_a_global_func.c", "c_r_unreleased_sk.c",
                 "a_prune_both_in_bounds.s", "c_a_xdp_custom_data.c"]


@needs_kernel
@pytest.mark.parametrize("name", LEVEL2_SAMPLE)
def test_log_level_2_same_verdict(name, corpus_objects):
    """The verdict, message and verified_insns do not depend on the log level."""
    entry = next(e for e in ENTRIES if e.name == name)
    if entry.kind == "c" and not kernel.libbpf_available()[0]:
        pytest.skip(kernel.libbpf_available()[1])
    one = corpus.judge(entry, corpus_objects[name], log_level=1)
    two = corpus.judge(entry, corpus_objects[name], log_level=2)
    assert one.problems == two.problems == []
    assert (one.accepted, one.error_line, one.verified_insns) == (two.accepted, two.error_line, two.verified_insns)
    assert len(two.log) > len(one.log)                 # level 2 adds register states


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return corpus.parse_entry(p)


@needs_kernel
def test_judge_catches_wrong_headers(tmp_path, clang22):
    """A corpus entry whose header lies is reported, in each way it can lie."""
    body = '\n\t.section socket,"ax",@progbits\n\t.globl prog\nprog:\n\tr0 = 3\n\texit\n'
    cases = {
        "wrong_intent.s": ("// intent: reject\n// expect: R0 !read_ok\n", "kernel accepted"),
        "wrong_retval.s": ("// intent: accept\n// retval: 4\n", "declared retval 4"),
    }
    for name, (header, problem) in cases.items():
        entry = _write(tmp_path, name, header + body)
        verdict = corpus.judge(entry, corpus.build(entry, tmp_path, clang22))
        assert len(verdict.problems) == 1 and problem in verdict.problems[0], verdict.problems
    bad = '\n\t.section socket,"ax",@progbits\n\t.globl prog\nprog:\n\texit\n'
    entry = _write(tmp_path, "wrong_msg.s", "// intent: reject\n// expect: R1 !read_ok\n" + bad)
    verdict = corpus.judge(entry, corpus.build(entry, tmp_path, clang22))
    assert verdict.problems == ["declared 'R1 !read_ok'; kernel said 'R0 !read_ok'"]
    entry = _write(tmp_path, "wrong_accept.s", "// intent: accept\n" + bad)
    verdict = corpus.judge(entry, corpus.build(entry, tmp_path, clang22))
    assert verdict.problems == ["declared accept; kernel rejected: 'R0 !read_ok'"]
    assert not verdict.accepted and verdict.errno == 13


def test_corpus_header_errors(tmp_path):
    sec = '\n\t.section socket,"ax",@progbits\nprog:\n\texit\n'
    for header in ("", "// intent: maybe\n", "// intent: reject\n",
                   "// intent: reject\n// expect: x\n// retval: 1\n",
                   "// intent: accept\n// map: m array 4\n"):
        with pytest.raises(corpus.CorpusError):
            _write(tmp_path, "bad.s", header + sec)
    with pytest.raises(corpus.CorpusError):
        _write(tmp_path, "bad.c", "// intent: accept\n// map: m array 4 8 1\nSEC(\"socket\") int f(void *c) { return 0; }\n")
    with pytest.raises(corpus.CorpusError):
        _write(tmp_path, "bad2.s", "// intent: accept\n\t.section nosuchtype,\"ax\"\n")
    e = _write(tmp_path, "ok.s", "// intent: accept\n// map: m hash 4 8 16\n// retval: 0x10\n"
               "// data: 00 01\n// license: Dual BSD/GPL\n" + sec)
    assert (e.kind, e.section, e.prog_type, e.retval, e.data, e.license) == (
        "asm", "socket", "socket_filter", 16, b"\0\1", "Dual BSD/GPL")
    assert e.maps == (corpus.MapSpec("m", "hash", 4, 8, 16),)
    e = _write(tmp_path, "two.c", "// intent: accept\n// prog: second\n"
               'SEC("xdp") int first(void *c) { return 0; }\nSEC("tc")\nint second(void *c) { return 0; }\n')
    assert (e.section, e.prog_type) == ("tc", "sched_cls")


def test_unavailable_kernel_gives_a_reason(monkeypatch):
    monkeypatch.setattr(kernel, "SYS_BPF", {})
    ok, why = kernel.kernel_available.__wrapped__()
    assert not ok and "syscall number" in why


@needs_kernel
def test_denied_bpf_skips_with_reason():
    """Without capabilities bpf() is denied: the kernel tests skip and say why."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv (util-linux) to drop capabilities")
    drop = [setpriv, "--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all"]
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        drop + [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                str(Path(__file__).resolve()), "-k", "raw_accept or a_ret_const"],
        cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 skipped" in proc.stdout, proc.stdout
    assert "bpf(BPF_PROG_LOAD) denied: Operation not permitted" in proc.stdout


# --- the harness itself -----------------------------------------------------------------

@needs_kernel
def test_raw_accept_reports_info_and_runs():
    prog = _insn(MOV64_IMM, 0, imm=7) + _insn(ADD64_IMM, 0, imm=35) + _insn(EXIT)
    with kernel.prog_load(prog, "socket_filter", name="raw_ok") as res:
        assert res.accepted and res.fd is not None and res.errno == 0
        info = kernel.prog_info(res.fd)
        assert info.prog_type == kernel.PROG_TYPES["socket_filter"]
        assert info.verified_insns == 3
        assert info.xlated_prog_len == 3 * 8
        assert info.jited_prog_len > 0
        assert info.name == "raw_ok"
        assert kernel.prog_test_run(res.fd, corpus.DEFAULT_PACKET).retval == 42


@needs_kernel
def test_raw_reject_gives_errno_and_log():
    res = kernel.prog_load(_insn(EXIT), "socket_filter")     # r0 never written
    assert not res.accepted and res.fd is None
    assert res.errno == 13                                    # EACCES: a verifier verdict
    assert res.error_line == "R0 !read_ok"
    assert res.error_block == "R0 !read_ok"
    assert "processed 1 insns" in res.log


@needs_kernel
def test_insn_objects_are_accepted():
    isa = pytest.importorskip("isa")
    prog = [isa.Insn(MOV64_IMM, 0, 0, 0, 1), isa.Insn(EXIT, 0, 0, 0, 0)]
    with kernel.prog_load(prog, "xdp") as res:
        assert res.accepted
        assert kernel.prog_test_run(res.fd, corpus.DEFAULT_PACKET).retval == 1


@needs_kernel
def test_log_level_2_has_register_states():
    prog = _insn(MOV64_IMM, 0, imm=0) + _insn(EXIT)
    with kernel.prog_load(prog, "socket_filter", log_level=2) as res:
        assert res.accepted
        assert "R0=0" in res.log and "(95) exit" in res.log
    with kernel.prog_load(prog, "socket_filter", log_level=0) as res:
        assert res.accepted and res.log == ""


@needs_kernel
def test_map_fd_relocation_lookup_and_update():
    """r0 = *(u64 *)lookup(map, &0) (or 0); the map value is set from userspace."""
    with kernel.map_create("array", 4, 8, 1, "m") as m:
        m.update(struct.pack("<I", 0), struct.pack("<Q", 1234))
        prog = (_insn(ST_DW, 10, off=-8, imm=0)
                + _insn(MOV64_REG, 2, 10) + _insn(ADD64_IMM, 2, imm=-8)
                + _ld_imm64(1)
                + _insn(CALL, imm=1)                       # bpf_map_lookup_elem
                + _insn(JEQ_IMM, 0, off=1, imm=0)
                + _insn(LDX_DW, 0, 0)
                + _insn(EXIT))
        unrelocated = kernel.prog_load(prog, "socket_filter")
        assert not unrelocated.accepted                   # imm 0 is not a map: caught
        code = kernel.relocate_map_refs(prog, {3: m.fd})
        with kernel.prog_load(code, "socket_filter") as res:
            assert res.accepted, res.log
            assert res.insns == code
            assert kernel.prog_info(res.fd).nr_map_ids == 1
            assert kernel.prog_test_run(res.fd, corpus.DEFAULT_PACKET).retval == 1234


@needs_kernel
def test_map_value_relocation_reads_global():
    """BPF_PSEUDO_MAP_VALUE: r1 = &map[0] + 8, as for a global at .data+8."""
    with kernel.map_create("array", 4, 16, 1, "data") as m:
        m.update(struct.pack("<I", 0), struct.pack("<QQ", 1, 77))
        prog = _ld_imm64(1) + _insn(LDX_DW, 0, 1) + _insn(EXIT)
        with kernel.prog_load(kernel.relocate_map_refs(prog, {0: (m.fd, 8)}), "socket_filter") as res:
            assert res.accepted, res.log
            assert kernel.prog_test_run(res.fd, corpus.DEFAULT_PACKET).retval == 77
        with kernel.prog_load(kernel.relocate_map_refs(prog, {0: (m.fd, 16)}), "socket_filter") as res:
            assert not res.accepted                         # off 16 is past value_size
    with pytest.raises(ValueError):
        kernel.relocate_map_refs(prog, {1: 3})              # not the first LD_IMM64 slot


def _btf(types: bytes, strings: bytes) -> bytes:
    hdr = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strings))
    return hdr + types + strings


@needs_kernel
def test_btf_load_and_func_info():
    """A hand-made BTF (int; int main(void)) attached through func_info and line_info."""
    strings = b"\0int\0main\0file.c\0return 0;\0"
    types = (struct.pack("<III", 1, 1 << 24, 4) + struct.pack("<I", (1 << 24) | 32)   # [1] int
             + struct.pack("<III", 0, 13 << 24, 1)                                    # [2] proto
             + struct.pack("<III", 5, (12 << 24) | 1, 2))                             # [3] FUNC main global
    fd, _ = kernel.btf_load(_btf(types, strings))
    try:
        prog = _insn(MOV64_IMM, 0, imm=0) + _insn(EXIT)
        with kernel.prog_load(prog, "socket_filter", btf_fd=fd, func_info=[(0, 3)],
                              line_info=[(0, 10, 17, (1 << 10) | 1)]) as res:
            assert res.accepted, res.log
            info = kernel.prog_info(res.fd)
            assert info.btf_id > 0 and info.nr_func_info == 1 and info.nr_line_info == 1
        bad = kernel.prog_load(prog, "socket_filter", btf_fd=fd, func_info=[(0, 1)])
        assert not bad.accepted and bad.error_line == "invalid type id 1 in func info"
    finally:
        kernel.close_fd(fd)
    with pytest.raises(OSError):
        kernel.btf_load(b"\0" * 24)


@needs_kernel
def test_load_object_picks_one_program(tmp_path, clang22):
    if not kernel.libbpf_available()[0]:
        pytest.skip(kernel.libbpf_available()[1])
    src = tmp_path / "two.c"
    src.write_text(
        '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n'
        'int g = 5;\n'
        'SEC("socket") int good(struct __sk_buff *s) { return g; }\n'
        'SEC("xdp") int bad(struct xdp_md *x) { return *(int *)(long)x->data; }\n'
        'char LICENSE[] SEC("license") = "GPL";\n')
    obj = tmp_path / "two.o"
    from conftest import compile_bpf  # noqa: E402 (tests/ is on sys.path)
    compile_bpf(clang22, src, obj, *corpus.C_INCLUDE)
    assert kernel.object_programs(obj) == [("good", "socket"), ("bad", "xdp")]
    with kernel.load_object(obj, "good") as res:
        assert res.accepted, res.log
        assert kernel.prog_test_run(res.fd, corpus.DEFAULT_PACKET).retval == 5
        assert kernel.prog_info(res.fd).nr_map_ids == 1          # .data became a map
        # What libbpf handed the kernel: `r1 = &g` became a BPF_PSEUDO_MAP_VALUE load.
        assert len(res.insns) == 4 * 8
        assert res.insns[0] == kernel.BPF_LD_IMM64 and res.insns[1] >> 4 == kernel.BPF_PSEUDO_MAP_VALUE
    res = kernel.load_object(obj, "xdp", log_level=2)
    assert not res.accepted and "invalid access to packet" in res.log
    missing = kernel.load_object(obj, "nope")
    assert not missing.accepted and not missing.reached_kernel


@needs_kernel
def test_map_lookup_sees_program_writes_and_repeat():
    """*v += 1 on each run: BPF_PROG_TEST_RUN repeat=N runs N times; lookup reads it back."""
    with kernel.map_create("array", 4, 8, 1, "ctr") as m:
        prog = (_insn(ST_DW, 10, off=-8, imm=0)
                + _insn(MOV64_REG, 2, 10) + _insn(ADD64_IMM, 2, imm=-8)
                + _ld_imm64(1)
                + _insn(CALL, imm=1)
                + _insn(JEQ_IMM, 0, off=3, imm=0)
                + _insn(MOV64_IMM, 1, imm=1)
                + _insn(0xDB, 0, 1)                        # lock *(u64 *)(r0 + 0) += r1
                + _insn(MOV64_IMM, 0, imm=0)
                + _insn(EXIT))
        with kernel.prog_load(kernel.relocate_map_refs(prog, {3: m.fd}), "socket_filter") as res:
            assert res.accepted, res.log
            assert m.lookup(struct.pack("<I", 0)) == bytes(8)
            run = kernel.prog_test_run(res.fd, corpus.DEFAULT_PACKET, repeat=5)
            assert run.retval == 0 and isinstance(run.duration, int)
            assert m.lookup(struct.pack("<I", 0)) == struct.pack("<Q", 5)
        assert m.lookup(struct.pack("<I", 1)) is None           # array: key 1 is ENOENT
        with pytest.raises(OSError):
            m.update(struct.pack("<I", 7), bytes(8))            # past max_entries


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@needs_kernel
def test_no_fd_leaks(corpus_objects):
    """Loading accepted and rejected entries, C and asm, leaves no descriptor behind."""
    picks = [e for e in ENTRIES if e.name in (
        "a_map_lookup_null_check.s", "r_map_value_oob.s", "c_a_globals.c", "c_r_unreleased_sk.c",
        "r_unbounded_loop_too_large.s")]
    assert len(picks) == 5
    if not kernel.libbpf_available()[0]:
        pytest.skip(kernel.libbpf_available()[1])
    for e in picks:                       # warm-up: libbpf and ctypes open what they keep
        corpus.judge(e, corpus_objects[e.name])
    before = _open_fds()
    for e in picks:
        corpus.judge(e, corpus_objects[e.name])
    assert _open_fds() == before
