"""``python -m toolchain check`` and :mod:`toolchain.objcheck`: the corpus passes, bad objects fail.

Oracles nobody here wrote:

- ``llvm-objdump-22 -dr`` / ``-t`` for instructions, call sites and their targets, and
  ``bpftool btf dump -j`` for prototypes: every call in every corpus object is checked
  against them independently of objcheck (slots stored before each call == the slot count
  computed from bpftool's FUNC_PROTO), and objcheck's own per-function facts must equal
  what they show;
- ``clang-22`` itself assembles the bad objects from BPF asm (naked functions), so the
  defects are exactly the instructions written here, located via objdump's listing.

The objdump cross-check scans each function linearly, resetting at calls; it relies on
the compilers putting a call's stores in the call's basic block (true of the lowering and
of LLVM 23). objcheck itself walks every CFG path, which the branch cases below pin down.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from toolchain import objcheck
from toolchain.discovery import ziglang_compiler

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "toolchain" / "checks"
FILES = sorted(CORPUS.glob("*.c"))
LEVELS = ("0", "1", "2", "s")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    e = dict(os.environ)
    e["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))   # a private probe cache
    e.pop("CLANG", None)
    return e


def run_check(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "toolchain", "check", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def clang22_run(clang22, env, tmp_path_factory):
    keep = tmp_path_factory.mktemp("objs")
    # static checks only: the run stage is test_checks_run.py's business
    proc = run_check(env, "--clang", clang22, "--json", "--keep", str(keep), "--no-run")
    assert proc.stderr == "", proc.stderr
    return proc, json.loads(proc.stdout), keep


# ------------------------------------------------------------------ the corpus itself

def test_corpus_has_40_files_each_described_once():
    assert len(FILES) >= 40
    readme = (CORPUS / "README.md").read_text()
    described = re.findall(r"^- `([^`]+\.c)`: .+$", readme, re.M)
    assert sorted(described) == [f.name for f in FILES]
    for f in FILES:
        text = f.read_text()
        assert re.search(r"\blong check_main\((void|const unsigned char \*buf)\)", text), f.name
        assert "#ifdef __bpf__" in text, f.name


def _btf_json(bpftool: str, obj: Path) -> dict[int, dict]:
    out = subprocess.run([bpftool, "-j", "btf", "dump", "file", str(obj)], check=True,
                         capture_output=True, text=True).stdout
    return {t["id"]: t for t in json.loads(out)["types"]}


_SKIP = ("TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG")


def _resolve(types: dict[int, dict], tid: int) -> dict:
    t = types[tid]
    while t["kind"] in _SKIP:
        t = types[t["type_id"]]
    return t


def _size(types, tid) -> int:
    t = _resolve(types, tid)
    return 8 if t["kind"] == "PTR" else t["size"]


def _bpftool_slots(types, func: dict) -> int:
    proto = types[func["type_id"]]
    pieces = sum(2 if _size(types, p["type_id"]) > 8 else 1 for p in proto["params"])
    return max(0, pieces - 5)


def test_corpus_covers_the_brief(clang22_run, bpftool):
    """What the -O0 objects (source prototypes intact) contain, per bpftool."""
    _, _, keep = clang22_run
    arities, kfunc_arities, kinds = set(), set(), set()
    for f in FILES:
        types = _btf_json(bpftool, keep / f"{f.stem}.O0.o")
        for t in types.values():
            if t["kind"] != "FUNC" or t["name"] == "check_main":
                continue
            proto = types[t["type_id"]]
            (kfunc_arities if t["linkage"] == "extern" else arities).add(proto["vlen"])
            for p in proto["params"]:
                r = _resolve(types, p["type_id"])
                kinds.add((r["kind"], r.get("size", 8), r.get("encoding")))
    assert set(range(6, 13)) <= arities
    assert {6, 9, 12} <= kfunc_arities
    for want in [("INT", 1, "SIGNED"), ("INT", 1, "(none)"), ("INT", 2, "SIGNED"), ("INT", 2, "(none)"),
                 ("INT", 4, "SIGNED"), ("INT", 4, "(none)"), ("INT", 8, "SIGNED"), ("INT", 8, "(none)"),
                 ("INT", 1, "BOOL"), ("INT", 16, "SIGNED"), ("STRUCT", 16, None), ("STRUCT", 8, None),
                 ("ENUM", 4, "SIGNED"), ("PTR", 8, None)]:
        assert want in kinds, want


# ------------------------------------------------------------------ the corpus passes

def test_corpus_passes_with_clang22_at_all_levels(clang22_run):
    proc, doc, _ = clang22_run
    assert proc.returncode == 0
    assert doc["opts"] == list(LEVELS)
    assert doc["failed"] == 0 and doc["passed"] == len(FILES) * len(LEVELS)
    assert {(c["file"], c["opt"]) for c in doc["cases"]} == {(f.name, o) for f in FILES for o in LEVELS}
    bad = [(c["file"], c["opt"], c["findings"]) for c in doc["cases"] if not c["ok"]]
    assert bad == []
    # the corpus really exercises stack arguments at every level, not only at -O0
    for opt in LEVELS:
        with_args = {c["file"] for c in doc["cases"] if c["opt"] == opt and c["stats"]["stack_arg_calls"]}
        assert len(with_args) >= 40, (opt, len(with_args))


def test_text_output_rows_and_summary_line(clang22, env):
    proc = run_check(env, "--clang", clang22, "-O", "0,2", "--no-run", str(FILES[0]), str(FILES[-1]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    rows = [ln for ln in lines if ln.startswith(("PASS", "FAIL"))]
    assert len(rows) == 4 and all(r.startswith("PASS") for r in rows)
    assert [r.split()[1:3] for r in rows] == [[FILES[0].name, "-O0"], [FILES[0].name, "-O2"],
                                             [FILES[-1].name, "-O0"], [FILES[-1].name, "-O2"]]
    assert lines[-1] == "4 passed, 0 failed"


# ------------------------------------------------------------------ objdump/bpftool cross-check

_FUNC_HDR = re.compile(r"^[0-9a-f]+ <(?P<name>[^>]+)>:$")
_INSN = re.compile(r"^\s+(?P<idx>\d+):\t(?P<text>.*)$")
_RELOC = re.compile(r"^\s+[0-9a-f]+:\s+R_BPF_\w+\s+(?P<sym>\S+)$")
_STORE = re.compile(r"^\*\(u64 \*\)\(r11 - 0x(?P<off>[0-9a-f]+)\) = ")
_LOAD = re.compile(r"= \*\(u64 \*\)\(r11 \+ 0x(?P<off>[0-9a-f]+)\)$")
_CALL = re.compile(r"^call (?P<imm>-?0x[0-9a-f]+)$")
_SYM = re.compile(r"^(?P<val>[0-9a-f]{16}) (?P<flags>.{7}) (?P<sec>\S+)\s+[0-9a-f]{16} (?P<name>\S+)$")


def _objdump_functions(objdump: str, obj: Path) -> list[dict]:
    """Per function: its section, start index, r11 stores/loads and calls (idx, imm, reloc sym)."""
    text = subprocess.run([objdump, "-dr", "--no-show-raw-insn", str(obj)], check=True,
                          capture_output=True, text=True).stdout
    funcs, section, cur = [], None, None
    for line in text.splitlines():
        if line.startswith("Disassembly of section "):
            section = line[len("Disassembly of section "):-1]
        elif m := _FUNC_HDR.match(line):
            cur = {"name": m["name"], "section": section, "insns": []}
            funcs.append(cur)
        elif (m := _INSN.match(line)) and cur is not None:
            cur["insns"].append([int(m["idx"]), m["text"].strip(), None])
        elif (m := _RELOC.match(line)) and cur is not None:
            cur["insns"][-1][2] = m["sym"]
    for f in funcs:
        f["start"] = f["insns"][0][0]
    return funcs


def _symbols(objdump: str, obj: Path) -> dict[tuple[str, int], str]:
    text = subprocess.run([objdump, "-t", str(obj)], check=True, capture_output=True, text=True).stdout
    out = {}
    for line in text.splitlines():
        m = _SYM.match(line)
        if m and "F" in m["flags"]:
            out[(m["sec"], int(m["val"], 16) // 8)] = m["name"]
    return out


def test_objcheck_agrees_with_objdump_and_bpftool(clang22_run, objdump22, bpftool):
    _, doc, keep = clang22_run
    checked_calls = 0
    for case in doc["cases"]:
        obj = keep / f"{Path(case['file']).stem}.O{case['opt']}.o"
        types = _btf_json(bpftool, obj)
        funcs_btf = {t["name"]: t for t in types.values() if t["kind"] == "FUNC"}
        syms = _symbols(objdump22, obj)
        mine = {(f["section"], f["name"]): f for f in case["report"]["functions"]}
        theirs = _objdump_functions(objdump22, obj)
        assert {(f["section"], f["name"]) for f in theirs} == set(mine), obj.name
        for f in theirs:
            rep = mine[(f["section"], f["name"])]
            where = f"{obj.name}:{f['name']}"
            own = _bpftool_slots(types, funcs_btf[f["name"]])
            assert rep["stack_slots"] == own, where
            window, calls, stores, loads = [], [], 0, 0
            for idx, text, sym in f["insns"]:
                if m := _STORE.match(text):
                    window.append(int(m["off"], 16) // 8)
                    stores += 1
                elif m := _LOAD.search(text):
                    assert int(m["off"], 16) // 8 <= own, (where, text)
                    loads += 1
                elif m := _CALL.match(text):
                    imm = int(m["imm"], 16)
                    if sym is None:                       # pc-relative, same section
                        callee = syms[(f["section"], idx + 1 + imm)]
                    elif sym in funcs_btf and funcs_btf[sym]["linkage"] == "extern":
                        callee = sym                      # a kfunc
                    elif sym.startswith("."):             # section symbol + addend in imm
                        callee = syms[(sym, imm + 1)]
                    else:
                        callee = sym
                    need = _bpftool_slots(types, funcs_btf[callee])
                    assert sorted(window) == list(range(1, need + 1)), (where, idx, callee, window)
                    calls.append((idx, callee, need))
                    window = []
            assert window == [], where
            assert (stores, loads) == (rep["r11_stores"], rep["r11_loads"]), where
            assert calls == [(c["insn"], c["callee"], c["slots"]) for c in rep["calls"]], where
            checked_calls += len(calls)
    assert checked_calls > 500


def test_user_r11_asm_passes_through_untouched(clang22_run, objdump22):
    """44/45 read incoming slots with their own inline asm next to the compiler's loads:
    each asm load must still be in the object, so every slot it reads is loaded twice."""
    _, _, keep = clang22_run
    want = {"44_asm_r11_read": ("ar6", {8: 2}),
            "45_asm_r11_slots": ("ar9", {8: 1, 16: 2, 24: 2, 32: 2})}
    for stem, (func, counts) in want.items():
        for opt in LEVELS:
            f = next(f for f in _objdump_functions(objdump22, keep / f"{stem}.O{opt}.o")
                     if f["name"] == func)
            seen: dict[int, int] = {}
            for _, text, _ in f["insns"]:
                if m := _LOAD.search(text):
                    seen[int(m["off"], 16)] = seen.get(int(m["off"], 16), 0) + 1
            assert seen == counts, (stem, opt, seen)


def test_slot_count_matches_bpftool(clang22_run, bpftool):
    """The slot count objcheck takes from btf.funcs agrees with bpftool's view of every FUNC."""
    _, _, keep = clang22_run
    n = 0
    for obj in sorted(keep.glob("*.O0.o")) + sorted(keep.glob("*.O2.o")):
        types = _btf_json(bpftool, obj)
        protos = objcheck._Protos(obj.read_bytes(), obj.name, [])
        for t in types.values():
            if t["kind"] == "FUNC":
                assert protos.slots_of(t["id"]) == (_bpftool_slots(types, t), None), (obj.name, t["name"])
                n += 1
    assert n > 200


def test_ziglang_clang_at_O2(env):
    zig = ziglang_compiler()
    if zig is None:
        pytest.skip("the ziglang package is not installed")
    proc = run_check(env, "--clang", "ziglang", "-O", "2", "--json", "--no-run")
    if proc.returncode == 2 and "cannot compile BPF" in proc.stderr:
        pytest.skip(f"ziglang's clang is unusable here: {proc.stderr.strip()}")
    doc = json.loads(proc.stdout)
    assert doc["compiler"]["name"] == "ziglang"
    assert proc.returncode == 0, [c["findings"] for c in doc["cases"] if not c["ok"]]
    assert (doc["passed"], doc["failed"]) == (len(FILES), 0)


# ------------------------------------------------------------------ crafted bad objects

NAKED_SRC = r"""
#define NAKED __attribute__((naked, noinline))
NAKED long callee6(long a, long b, long c, long d, long e, long f)
{ asm volatile("r0 = *(u64 *)(r11 + 8); exit"); }
NAKED long callee7(long a, long b, long c, long d, long e, long f, long g)
{ asm volatile("r0 = *(u64 *)(r11 + 8); r1 = *(u64 *)(r11 + 16); r0 += r1; exit"); }
NAKED long leaf(long a)
{ asm volatile("r0 = r1; exit"); }
NAKED long probe6(long a, long b, long c, long d, long e, long f)
{ asm volatile(PROBE); }
__attribute__((naked, section("tc"))) long check_main(void)
{ asm volatile(MAIN); }
"""

ARGS = "r1 = 1; r2 = 2; r3 = 3; r4 = 4; r5 = 5; "
GOOD_MAIN = ("r1 = 6; *(u64 *)(r11 - 8) = r1; " + ARGS + "call callee6; "
             "r1 = 7; *(u64 *)(r11 - 8) = r1; *(u64 *)(r11 - 16) = 8; " + ARGS + "call callee7; "
             "r1 = 9; *(u64 *)(r11 - 8) = r1; " + ARGS + "call probe6; exit")
GOOD_PROBE = "r6 = *(u64 *)(r11 + 8); r1 = r6; call leaf; r0 += r6; exit"


def build_naked(clang: str, tmp: Path, main: str = GOOD_MAIN, probe: str = GOOD_PROBE) -> Path:
    src = tmp / "naked.c"
    src.write_text(NAKED_SRC.replace("MAIN", json.dumps(main)).replace("PROBE", json.dumps(probe)))
    obj = tmp / "naked.o"
    subprocess.run([clang, "--target=bpf", "-mcpu=v3", "-g", "-O2", "-c", str(src), "-o", str(obj)],
                   check=True, capture_output=True, text=True)
    return obj


def test_naked_baseline_passes(clang22, tmp_path):
    rep = objcheck.check_file(build_naked(clang22, tmp_path))
    assert rep.ok, [str(f) for f in rep.findings]
    main = next(f for f in rep.functions if f.name == "check_main")
    assert [(c.callee, c.slots) for c in main.calls] == [("callee6", 1), ("callee7", 2), ("probe6", 1)]


STORE6 = "r1 = 6; *(u64 *)(r11 - 8) = r1; "

# (id, main body, probe6 body, rule, function, text objdump shows at the finding's insn)
BAD = [
    ("alu-on-r11", "r11 += 8; " + GOOD_MAIN, None, "r11-shape", "check_main", "r11 += 0x8"),
    ("mov-from-r11", "r1 = r11; " + GOOD_MAIN, None, "r11-shape", "check_main", "r1 = r11"),
    ("u32-store", "r1 = 6; *(u32 *)(r11 - 8) = w1; " + ARGS + "call callee6; exit", None,
     "r11-shape", "check_main", "*(u32 *)(r11 - 0x8) = w1"),
    ("misaligned-store", "r1 = 6; *(u64 *)(r11 - 4) = r1; exit", None,
     "r11-shape", "check_main", "*(u64 *)(r11 - 0x4) = r1"),
    ("positive-store", "r1 = 6; *(u64 *)(r11 + 8) = r1; exit", None,
     "r11-shape", "check_main", "*(u64 *)(r11 + 0x8) = r1"),
    ("zero-offset-store", "r1 = 6; *(u64 *)(r11 + 0) = r1; exit", None,
     "r11-shape", "check_main", "*(u64 *)(r11 + 0x0) = r1"),
    ("slot-8-store", "r1 = 6; *(u64 *)(r11 - 64) = r1; exit", None,
     "r11-shape", "check_main", "*(u64 *)(r11 - 0x40) = r1"),
    ("atomic-on-r11", "r1 = 6; lock *(u64 *)(r11 - 8) += r1; exit", None,
     "r11-shape", "check_main", "lock *(u64 *)(r11 - 0x8) += r1"),
    ("r11-as-value", "*(u64 *)(r10 - 8) = r11; r0 = 0; exit", None,
     "r11-shape", "check_main", "*(u64 *)(r10 - 0x8) = r11"),
    ("negative-load", GOOD_MAIN, "r0 = *(u64 *)(r11 - 8); exit",
     "r11-shape", "probe6", "r0 = *(u64 *)(r11 - 0x8)"),
    ("u32-load", GOOD_MAIN, "w0 = *(u32 *)(r11 + 8); exit",
     "r11-shape", "probe6", "w0 = *(u32 *)(r11 + 0x8)"),
    ("missing-slot", "r1 = 7; *(u64 *)(r11 - 16) = r1; " + ARGS + "call callee7; exit", None,
     "call-slots", "check_main", "call"),
    ("slot-on-one-branch-only", "if r1 == 0 goto +1; *(u64 *)(r11 - 8) = r1; " + ARGS
     + "call callee6; exit", None, "call-slots", "check_main", "call"),
    ("extra-slot", STORE6 + "*(u64 *)(r11 - 16) = r1; " + ARGS + "call callee6; exit", None,
     "call-slots", "check_main", "call"),
    ("slot-stored-twice", STORE6 + "*(u64 *)(r11 - 8) = r1; " + ARGS + "call callee6; exit", None,
     "call-slots", "check_main", "call"),
    ("slot-reused-after-call", STORE6 + ARGS + "call callee6; " + ARGS + "call callee6; exit", None,
     "call-slots", "check_main", "call"),
    ("slot-reused-in-loop", STORE6 + "r6 = 3; " + ARGS + "call callee6; r6 += -1; "
     "if r6 != 0 goto -8; exit", None, "call-slots", "check_main", "call"),
    ("slots-for-a-helper", STORE6 + "call 7; exit", None, "call-slots", "check_main", "call"),
    ("store-never-consumed", STORE6 + "r0 = 0; exit", None, "call-slots", "check_main", "exit"),
    ("load-after-call", GOOD_MAIN, "r1 = 1; call leaf; r0 = *(u64 *)(r11 + 8); exit",
     "load-order", "probe6", "r0 = *(u64 *)(r11 + 0x8)"),
    ("load-after-store", GOOD_MAIN, STORE6 + "r0 = *(u64 *)(r11 + 8); " + ARGS + "call callee6; exit",
     "load-order", "probe6", "r0 = *(u64 *)(r11 + 0x8)"),
    ("load-after-call-on-one-path", GOOD_MAIN, "if r1 == 0 goto +1; call leaf; "
     "r0 = *(u64 *)(r11 + 8); exit", "load-order", "probe6", "r0 = *(u64 *)(r11 + 0x8)"),
    ("load-beyond-prototype", GOOD_MAIN, "r0 = *(u64 *)(r11 + 16); exit",
     "load-range", "probe6", "r0 = *(u64 *)(r11 + 0x10)"),
    ("load-in-main-program", "r0 = *(u64 *)(r11 + 8); exit", None,
     "load-range", "check_main", "r0 = *(u64 *)(r11 + 0x8)"),
]


@pytest.mark.parametrize("name,main,probe,rule,func,text", BAD, ids=[b[0] for b in BAD])
def test_bad_naked_object_fails(clang22, objdump22, tmp_path, name, main, probe, rule, func, text):
    obj = build_naked(clang22, tmp_path, main, probe or GOOD_PROBE)
    rep = objcheck.check_file(obj)
    assert not rep.ok
    hits = [f for f in rep.findings if f.rule == rule and f.function == func]
    assert hits, [str(f) for f in rep.findings]
    listing = {(f["name"], i): t for f in _objdump_functions(objdump22, obj) for i, t, _ in f["insns"]}
    assert any(listing[(func, h.insn)].startswith(text) for h in hits), \
        [(str(h), listing.get((func, h.insn))) for h in hits]


def test_cli_reports_a_bad_object_and_exits_1(clang22, env, tmp_path):
    good = build_naked(clang22, tmp_path)
    good = good.rename(tmp_path / "good.o")
    bad = build_naked(clang22, tmp_path, "r11 += 8; " + GOOD_MAIN)
    proc = run_check(env, "--no-run", str(good), str(bad))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines.pop(0) == "run stage: off (--no-run): static checks only"
    assert lines[0].startswith("PASS  good.o") and lines[1].startswith("FAIL  naked.o")
    assert "[r11-shape]" in lines[2] and "r11 += 0x8" in lines[2]
    assert lines[-1] == "1 passed, 1 failed"
    assert proc.stderr == ""


def test_kfunc_call_with_a_store_deleted_from_the_asm(clang22, tmp_path):
    """The kfunc case: our driver's own BPF asm for a corpus file, one r11 store removed."""
    from toolchain.driver import CompileOptions, compile_c

    asm = tmp_path / "k.s"
    compile_c(CORPUS / "38_kfunc6.c", asm, CompileOptions(opt_level="2", emit="asm"))
    text = asm.read_text()
    lines = text.splitlines(keepends=True)
    store = next(i for i, ln in enumerate(lines) if "*(u64 *)(r11 - 8) =" in ln)
    (tmp_path / "bad.s").write_text("".join(lines[:store] + lines[store + 1:]))
    for name in ("k", "bad"):
        subprocess.run([clang22, "--target=bpf", "-c", str(tmp_path / f"{name}.s"), "-o",
                        str(tmp_path / f"{name}.o")], check=True, capture_output=True)
    assert objcheck.check_file(tmp_path / "k.o").ok
    rep = objcheck.check_file(tmp_path / "bad.o")
    assert [(f.rule, f.function) for f in rep.findings] == [("call-slots", "check_main")]
    assert "kfunc kf_sum6" in rep.findings[0].message


DAE_HAZARD = r"""
__attribute__((noinline)) static long ar9(long a, long b, long c, long d, long e, long f, long g,
                                          long h, long i)
{
	long x2;
	__asm__ volatile("%0 = *(u64 *)(r11 + 16)" : "=r"(x2));
	return f + g + h + i + x2;
}
__attribute__((section("tc"))) long check_main(void)
{
	long v = 2;
	__asm__ volatile("" : "+r"(v));
	return ar9(1, 2, 3, 4, 5, v, v + 1, v + 2, v + 3);
}
"""


def test_real_compiler_output_user_r11_asm_after_signature_shrinking(tmp_path):
    """IPSCCP + DAE drop ar9's constant args at -O2, so its BTF prototype has no stack slots
    left while the user's asm still reads r11 + 16: the object is inconsistent and the
    check must say so (at -O0 nothing shrinks and it passes)."""
    from toolchain.driver import CompileOptions, compile_c

    src = tmp_path / "hazard.c"
    src.write_text(DAE_HAZARD)
    for opt, ok in (("0", True), ("2", False)):
        obj = tmp_path / f"hazard.O{opt}.o"
        compile_c(src, obj, CompileOptions(opt_level=opt))
        rep = objcheck.check_file(obj)
        assert rep.ok is ok, [str(f) for f in rep.findings]
        if not ok:
            assert {f.rule for f in rep.findings} == {"load-range"}
            assert all(f.function == "ar9" for f in rep.findings)


# ------------------------------------------------------------------ bad input / invocation

def test_garbage_object_is_a_failed_case_not_a_traceback(env, tmp_path):
    junk = tmp_path / "junk.o"
    junk.write_bytes(b"\x7fELF" + b"\x02\x01\x01" + b"\0" * 9 + b"\xff" * 40)
    proc = run_check(env, str(junk))
    assert proc.returncode == 1
    assert "[object]" in proc.stdout and proc.stdout.splitlines()[-1] == "0 passed, 1 failed"
    assert "Traceback" not in proc.stdout + proc.stderr


def test_a_file_that_does_not_compile_is_a_failed_case(clang22, env, tmp_path):
    src = tmp_path / "broken.c"
    src.write_text("long check_main(void) { return 1 +; }\n")
    proc = run_check(env, "--clang", clang22, "-O", "0,2", "--json", str(src))
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert (doc["passed"], doc["failed"]) == (0, 2)
    for case in doc["cases"]:
        assert case["findings"][0].startswith(f"[compile] {src}:1:")


@pytest.mark.parametrize("args,needle", [
    (["-O", "2,x"], "invalid optimisation level 'x'"),
    (["no/such/file.c"], "cannot read no/such/file.c"),
    (["--clang", "/no/such/clang"], "no such compiler"),
    (["--mcpu", "v9", str(FILES[0])], "-mcpu=v9 is not supported"),
    (["-j", "0", str(FILES[0])], "need at least one job"),
])
def test_bad_invocation_is_one_line_exit_2(env, args, needle):
    proc = run_check(env, *args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and needle in proc.stderr, proc.stderr
