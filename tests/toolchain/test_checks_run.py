"""The run stage of ``python -m toolchain check``: BPF results == the same C run natively.

Every ``toolchain/checks/*.c`` file is compiled by our driver with clang-22 at
-O0/-O1/-O2/-Os, verified against the mock kernel plus the corpus kfunc module
(``pipeline/check_kfuncs``) and its ``check_main`` run on every engine (interp, unicorn,
native) by ``python -m toolchain check`` itself, which finds its run stage through the
``stackargs.check_runners`` entry point (the tests register pyproject.toml's declaration in
a scratch ``.dist-info`` on ``PYTHONPATH``, so they do not depend on how the package was
installed).  The check compares with its own native reference (``$CC``/gcc/... by default);
the expected values here come from a second native build, by clang-22
(:func:`oracles.checks_corpus.native_results`), so two host compilers must agree too.

-O0 objects of files with many-argument static functions carry BTF parameters without
names (clang emits none at -O0), which the kernel refuses; those, and only those, run
unverified on interp and unicorn.  ``test_summary`` reports the counts, including how many
cases the native engine ran with the same result as unicorn.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from isa import opcodes as op

_TESTS = str(Path(__file__).resolve().parent.parent)
if _TESTS not in sys.path:
    sys.path.append(_TESTS)
from oracles.checks_corpus import CASES, CORPUS, FILES, LEVELS, native_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
GROUP = "stackargs.check_runners"
ENGINES = ("interp", "unicorn", "native")


def declared_runner() -> str:
    """pyproject.toml's run-stage entry point value (what ``pip install`` registers)."""
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return doc["project"]["entry-points"][GROUP]["pipeline"]


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    """A private cache and the run stage's entry point registered from pyproject.toml."""
    site = tmp_path_factory.mktemp("site")
    info = site / "stackargs_checks_runner-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: stackargs-checks-runner\n"
                                   "Version: 0\n")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\npipeline = {declared_runner()}\n")
    e = dict(os.environ, XDG_CACHE_HOME=str(tmp_path_factory.mktemp("cache")))
    e["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(site), *filter(None, [e.get("PYTHONPATH")])])
    e.pop("CLANG", None)
    return e


def run_check(env, *args: str, path: str | None = None) -> subprocess.CompletedProcess:
    e = dict(env, PATH=path) if path is not None else env
    return subprocess.run([sys.executable, "-m", "toolchain", "check", *args], cwd=ROOT, env=e,
                          capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def checked(clang22, env) -> dict:
    proc = run_check(env, "--clang", clang22, "--json")
    assert proc.stderr == "", proc.stderr
    doc = json.loads(proc.stdout)
    doc["returncode"] = proc.returncode
    return doc


@pytest.fixture(scope="module")
def native(clang22, tmp_path_factory) -> dict[str, int]:
    """check_main of every corpus file built for the host by clang-22, by file name."""
    return native_results(clang22, tmp_path_factory.mktemp("native"))


def host_engines() -> list[str]:
    import platform
    native_ok = sys.platform.startswith("linux") and platform.machine() == "x86_64"
    return [e for e in ENGINES if e != "native" or native_ok]


# ------------------------------------------------------------------ the corpus, end to end

@pytest.mark.parametrize("src,opt", CASES, ids=[f"{f.stem}-O{o}" for f, o in CASES])
def test_case_verifies_and_every_engine_equals_native(checked, native, src, opt):
    case = next(c for c in checked["cases"] if (c["file"], c["opt"]) == (src.name, opt))
    res = case["run"]
    assert res is not None, "the run stage did not run"
    assert case["ok"], case["findings"]
    assert case["native"] == native[src.name]          # the check's native build == clang-22's
    if not res["verified"]:
        # only the kernel's BTF refusal of -O0's unnamed parameters may skip the verifier
        assert opt == "0" and "Invalid arg#" in res["unverified"], res
    want = host_engines() if res["verified"] else ["interp", "unicorn"]
    got = {e: r.get("value") for e, r in res["results"].items()}
    assert {e: got.get(e) for e in want} == {e: native[src.name] for e in want}


def test_summary(checked, native):
    cases = [c for c in checked["cases"] if c["run"]]
    verified = [c for c in cases if c["run"]["verified"]]
    same = [c for c in verified
            if c["run"]["results"].get("native", {}).get("value") is not None
            and c["run"]["results"]["native"]["value"] == c["run"]["results"]["unicorn"]["value"]
            == native[c["file"]]]
    print(f"\nrun stage: {len(cases)} (file, -O) cases ran, {len(verified)} verified, "
          f"{len(cases) - len(verified)} unverified (-O0 BTF refused); native engine == unicorn "
          f"== native x86-64 in {len(same)} of {len(verified)} verified cases")
    assert checked["returncode"] == 0 and checked["failed"] == 0
    assert len(cases) == len(FILES) * len(LEVELS)
    assert all(c["opt"] == "0" for c in cases if not c["run"]["verified"])
    if "native" in host_engines():
        assert len(same) == len(verified)


def test_the_aggregate_cases_are_in_the_corpus():
    """Structs of 4, 8, 12 and 16 bytes by value mixed with constants (issue 10 item 2)."""
    agg = [f.name for f in FILES if all(f"struct s{k} {{" in f.read_text() for k in (4, 8, 12, 16))]
    assert len(agg) >= 2, agg


# ------------------------------------------------------------------ the check can fail

def _swap_first_two_r11_stores(obj: Path, out: Path) -> None:
    """Swap the offsets of the first two outgoing stack-argument stores (ELF bytes)."""
    from pipeline.loader import load
    data = bytearray(obj.read_bytes())
    prog = load(obj).program("check_main")
    stores = [i for i, ins in enumerate(prog.insns)
              if ins.code == (op.STX | op.MEM | op.DW) and ins.dst == op.PARAMS]
    a, b = prog.insns[stores[0]], prog.insns[stores[1]]
    assert {a.off, b.off} == {-8, -16}
    old = [a.encode(), b.encode()]
    new = [dataclasses.replace(a, off=b.off).encode(), dataclasses.replace(b, off=a.off).encode()]
    for o, n in zip(old, new):
        assert data.count(o) == 1
        data[data.index(o):data.index(o) + 8] = n
    out.write_bytes(bytes(data))


def test_swapped_stack_slots_fail_on_every_engine(clang22, native, tmp_path):
    from toolchain.check import check_object, judge
    from toolchain.driver import CompileOptions, compile_c
    src = CORPUS / "02_args7_long.c"
    good, bad = tmp_path / "good.o", tmp_path / "bad.o"
    compile_c(src, good, CompileOptions(opt_level="2"))
    _swap_first_two_r11_stores(good, bad)
    run_with = (declared_runner(), tuple(host_engines()))
    want = {"value": native[src.name]}
    case = check_object(good, src.name, "2", run_with)
    judge(case, want)
    assert case["ok"], case["findings"]
    case = check_object(bad, src.name, "2", run_with)
    assert case["run"]["verified"]               # still a valid program, only a wrong one
    judge(case, want)
    assert not case["ok"]
    for e in host_engines():
        assert any(f.startswith(f"[run] {e}: check_main returned ")
                   and f"expected {native[src.name]}" in f for f in case["findings"]), e


class WrongRunner:
    """A run stage whose interp disagrees with everything: the check must name it."""
    right = 0

    def engines(self):
        return ["interp", "unicorn"]

    def prepare(self):
        pass

    def run_object(self, path, entry, engines):
        return {"verified": True, "unverified": None, "rejected": None,
                "results": {"interp": {"value": 12345}, "unicorn": {"value": self.right}}}


WRONG = WrongRunner()


def test_a_wrong_result_fails_the_check_naming_case_engine_and_values(clang22, native,
                                                                     monkeypatch, capsys):
    import toolchain.check as check
    from toolchain.__main__ import main
    src = FILES[0]
    monkeypatch.setattr(WRONG, "right", native[src.name])
    monkeypatch.setattr(check, "find_runner", lambda: (WRONG, f"{__name__}:WRONG", ""))
    monkeypatch.setitem(check._RUNNERS, f"{__name__}:WRONG", WRONG)
    rc = main(["check", "--clang", clang22, "-O", "2", "-j", "1", str(src)])
    out = capsys.readouterr().out
    assert rc == 1, out
    assert f"FAIL  {src.name}  -O2" in out
    assert f"[run] interp: check_main returned 12345, expected {native[src.name]}" in out
    assert "[run] unicorn" not in out
    assert out.splitlines()[-1] == "0 passed, 1 failed"


def test_an_engine_error_and_a_rejection_fail_the_check(clang22, monkeypatch):
    from toolchain.check import judge
    case = {"findings": [], "ok": True, "run": {
        "verified": False, "unverified": None, "rejected": "R1 invalid mem access 'scalar'",
        "results": {}}}
    judge(case, {"value": 1})
    assert not case["ok"]
    assert case["findings"] == ["[verify] rejected by the verifier: R1 invalid mem access 'scalar'"]
    case = {"findings": [], "ok": True, "run": {"verified": True, "results": {
        "interp": {"value": 1}, "native": {"error": "fault at insn 3"}}}}
    judge(case, None)          # an object without source: the engines are compared
    assert case["findings"] == ["[run] native: fault at insn 3"]
    case = {"findings": [], "ok": True, "run": {"verified": True, "results": {
        "interp": {"value": 1}, "unicorn": {"value": 2}}}}
    judge(case, None)
    assert case["findings"] == ["[run] the engines disagree: interp 1, unicorn 2"]


# ------------------------------------------------------------------ availability and options

def test_without_a_run_stage_the_check_says_so_and_checks_statically(clang22, monkeypatch,
                                                                    capsys):
    import importlib.metadata
    from toolchain.__main__ import main
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **kw: [])
    rc = main(["check", "--clang", clang22, "-O", "2", "-j", "1", str(FILES[0])])
    lines = capsys.readouterr().out.splitlines()
    assert rc == 0
    assert lines[1] == (f"run stage: unavailable: no '{GROUP}' entry point is installed (the "
                        "stackargs pipeline package registers one: pip install -e .); static "
                        "checks only")
    assert lines[2].startswith(f"PASS  {FILES[0].name}  -O2") and "ran" not in lines[2]
    assert lines[-1] == "1 passed, 0 failed"


def test_engines_option(clang22, env):
    proc = run_check(env, "--clang", clang22, "-O", "2", "--engines", "interp", str(FILES[0]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    row = next(ln for ln in proc.stdout.splitlines() if ln.startswith("PASS"))
    assert row.endswith("= native on interp")
    proc = run_check(env, "--clang", clang22, "--engines", "interp,bogus", str(FILES[0]))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "--engines interp,bogus: bogus not offered" in proc.stderr


def test_ziglang_alone_end_to_end(env):
    """The ziglang wheel's clang builds, its `zig cc` gives the native reference, no system
    compiler on PATH (as .ci/ziglang-examples runs): -O2, every engine, all pass."""
    from toolchain.discovery import ziglang_compiler
    if ziglang_compiler() is None:
        pytest.skip("the ziglang package is not installed")
    proc = run_check(env, "-O", "2", "--json", path=os.path.dirname(sys.executable))
    if proc.returncode == 2 and "cannot compile BPF" in proc.stderr:
        pytest.skip(f"ziglang's clang is unusable here: {proc.stderr.strip()}")
    doc = json.loads(proc.stdout)
    assert doc["compiler"]["name"] == "ziglang"
    assert doc["run_stage"]["native_cc"][1:] == ["cc"]
    assert proc.returncode == 0, [c["findings"] for c in doc["cases"] if not c["ok"]]
    assert (doc["passed"], doc["failed"]) == (len(FILES), 0)
    assert all(c["run"]["verified"] and c["native"] is not None for c in doc["cases"])


def test_a_file_without_check_main_fails_both_ways(clang22, env, tmp_path):
    src = tmp_path / "noentry.c"
    src.write_text('#ifdef __bpf__\n#define SEC(n) __attribute__((section(n), used))\n#else\n'
                   '#define SEC(n)\n#endif\nSEC("tc") long other(void) { return 1; }\n')
    proc = run_check(env, "--clang", clang22, "-O", "2", str(src))
    assert proc.returncode == 1 and proc.stderr == ""
    lines = proc.stdout.splitlines()
    row = lines.index(next(ln for ln in lines if ln.startswith("FAIL  noentry.c  -O2")))
    native, run = lines[row + 1].strip(), lines[row + 2].strip()
    assert native.startswith("[native] the native reference failed: ") and "check_main" in native
    assert run.startswith("[run] ") and "no program named 'check_main' (programs: other)" in run


def test_native_reference_reports_a_crash(tmp_path):
    from toolchain.check import host_cc, native_reference
    cc = host_cc(None)
    if cc is None:
        pytest.skip("no host C compiler")
    src = tmp_path / "crash.c"
    src.write_text("long check_main(void) { return *(volatile long *)0; }\n")
    got = native_reference(src, cc, str(tmp_path))
    assert got["error"].startswith("the host program exited with status ")
    src.write_text("long check_main(void) { return -5; }\n")
    assert native_reference(src, cc, str(tmp_path)) == {"value": -5}


def test_a_lowering_regression_seen_only_at_run_time_fails_the_check(clang22, native,
                                                                      monkeypatch, tmp_path):
    """The lowering made to store slots 1 and 2 of every call swapped: every static rule
    still holds (each slot stored once, before the call), only the run stage can tell."""
    import toolchain.lower as lower
    from toolchain.check import judge, run_case
    from toolchain.discovery import from_env
    from toolchain.probe import probe_cached
    real = lower._store_slot
    monkeypatch.setattr(lower, "_store_slot",
                        lambda slot, piece, imm_ok: real({1: 2, 2: 1}.get(slot, slot), piece,
                                                         imm_ok))
    probe = probe_cached(from_env(clang22))
    if probe.path != "lowered":
        pytest.skip(f"{clang22} compiles stack arguments itself: no lowering to break")
    src = CORPUS / "02_args7_long.c"
    case = run_case(src, "2", probe, "v3", str(tmp_path), (declared_runner(), ("interp",)))
    assert case["findings"] == [] and case["run"]["verified"]     # statically fine
    judge(case, {"value": native[src.name]})
    assert not case["ok"]
    assert len(case["findings"]) == 1
    assert case["findings"][0].startswith("[run] interp: check_main returned ")
