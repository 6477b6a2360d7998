"""Stack arguments through the JIT: results against native x86-64 and the selftests' retvals.

1. Every ``toolchain/checks/*.c`` at -O0/-O1/-O2/-Os (our toolchain, clang-22), its
   ``check_main`` JIT-compiled and run in unicorn, must return what the same C compiled
   natively for x86-64 returns (called through ctypes in a child process).  kfuncs are
   stubs following the corpus convention (README there): the sum of ``(i + 1) * arg_i``,
   each 64-bit piece converted per the kfunc's BTF parameter type, so a wrongly placed
   or wrongly extended stack slot changes the result.  Swapping two outgoing slots must
   make a case disagree (the oracle can fail).
2. The stack-argument corpus (``tests/data/stack_arg``): accepted cases with the kernel
   selftests' documented retvals (55, 75, 66, 84, 99, 133, ...) run through ``run``'s
   pipeline with the mock kernel's kfuncs.
3. ``examples/sum10.c`` returns 55.
4. The native frame, read back with capstone: arg 6 in r9 both ways, outgoing args
   7+ at ``[rsp + 8(k-2)]`` at the call, incoming at ``[rbp + 8k]`` (``[rsp + 8k - 8]``
   in a frameless leaf), 16-byte frames in functions that call (the executor also faults on any misaligned call into a trampoline).

These programs are run unverified (``verify=False``): the verifier does not implement
the stack-argument rules yet and rejects r11.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import capstone
import pytest

from isa import opcodes as op
from isa.asm import assemble
from jit import FuncSpec, JitError, jit
from pipeline.exec_unicorn import DATA_BASE, RegionSpec, UnicornExecutor, page_round

_TESTS = str(Path(__file__).resolve().parent.parent)
if _TESTS not in sys.path:
    sys.path.append(_TESTS)
from oracles.checks_corpus import (BUF, CASES, CORPUS, FILES, LEVELS, link_kfuncs,  # noqa: E402
                                   s64, takes_buffer)

ROOT = Path(__file__).resolve().parents[2]
# ------------------------------------------------------------------ 1. the toolchain corpus

def run_jit(obj_path: Path, with_buf: bool, mutate=None) -> tuple[int, list[str]]:
    """check_main of a corpus object, JIT-compiled and run in unicorn."""
    import pipeline
    from jit import jit
    from pipeline.loader import load
    obj = load(obj_path)
    prog = obj.program("check_main")
    specs = pipeline.func_specs(pipeline.Object(obj).program("check_main"))
    calls: list[str] = []
    insns, kfuncs = link_kfuncs(obj_path, prog, calls)
    if mutate:
        insns = mutate(insns)
    regions, bases, base = [], {}, DATA_BASE
    for i, ref in enumerate(obj.map_table):
        if ref.kind == "data":
            ds = next(d for d in obj.data_sections if d.name == ref.name)
            regions.append(RegionSpec(ds.name, base, ds.data or bytes(ds.size),
                                      writable=ds.kind != "rodata"))
            bases[i] = base
            base += page_round(ds.size) + 0x1000
    regions.append(RegionSpec("input", base, BUF))

    def resolve(target):
        assert target.kind == "map_value"
        return bases[target.ident] + target.addend

    image = jit(list(insns), specs)
    ex = UnicornExecutor(image, kfuncs=kfuncs, regions=regions, resolve=resolve)
    return s64(ex.run(*([base] if with_buf else [])).retval), calls


OUTCOMES: dict[tuple[str, str], bool] = {}


@pytest.mark.parametrize("src,opt", CASES, ids=[f"{f.stem}-O{o}" for f, o in CASES])
def test_jit_result_equals_native(checks_objects, checks_native, src, opt):
    got, calls = run_jit(checks_objects / f"{src.stem}.O{opt}.o", takes_buffer(src))
    OUTCOMES[(src.name, opt)] = got == checks_native[src.name]
    assert got == checks_native[src.name]
    if "KFUNC;" in src.read_text():
        assert calls, "the kfunc stubs were never called"


def test_summary(checks_objects, checks_native):
    ran, matched = len(OUTCOMES), sum(OUTCOMES.values())
    print(f"\nJIT stack-argument corpus: {matched}/{ran} (file, -O) cases match native x86-64")
    if ran < len(CASES):
        pytest.skip(f"only {ran} of {len(CASES)} cases ran (a -k selection?)")
    assert matched == ran == len(FILES) * len(LEVELS)


def test_swapped_stack_slots_change_the_result(checks_objects, checks_native):
    src = CORPUS / "02_args7_long.c"

    def swap(insns):
        stores = [i for i, ins in enumerate(insns)
                  if ins.code == (op.STX | op.MEM | op.DW) and ins.dst == op.PARAMS]
        a, b = stores[0], stores[1]
        assert {insns[a].off, insns[b].off} == {-8, -16}
        out = list(insns)
        out[a] = dataclasses.replace(insns[a], off=insns[b].off)
        out[b] = dataclasses.replace(insns[b], off=insns[a].off)
        return out

    path = checks_objects / f"{src.stem}.O2.o"
    assert run_jit(path, False)[0] == checks_native[src.name]
    assert run_jit(path, False, swap)[0] != checks_native[src.name]


# ------------------------------------------------------------------ 2. the selftest retvals

def _cases_module():
    spec = importlib.util.spec_from_file_location(
        "stack_arg_cases", ROOT / "tests" / "verifier" / "stack_arg_cases.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("stack_arg_cases", mod)
    spec.loader.exec_module(mod)
    return mod


SA = _cases_module()
RUN_CASES = [c for c in SA.CASES if c.verdict == SA.ACCEPT and c.retval is not None]
STACK_ARG_DATA = ROOT / "tests" / "data" / "stack_arg"


def pkt_v4() -> bytes:
    """The selftests' pkt_v4 (54 bytes): Ethernet (IPv4), IPv4 (TCP, tot_len 123), TCP."""
    eth = bytes(12) + b"\x08\x00"
    ip = bytes([0x45, 0]) + (123).to_bytes(2, "big") + bytes(5) + bytes([6]) + bytes(10)
    tcp = bytes(12) + bytes([5 << 4, 0]) + bytes(4) + (123).to_bytes(2, "big")
    return eth + ip + tcp


@pytest.fixture(scope="module")
def sa_objects(clang22, tmp_path_factory):
    from pipeline.kernel import INCLUDE_DIR
    from toolchain.driver import ARCH_MACRO, CompileOptions, compile_c, header_flags
    from toolchain.probe import FEATURE_MACRO
    out = tmp_path_factory.mktemp("stack_arg")
    built = {}

    def build(name: str) -> Path:
        if name not in built:
            src, obj = STACK_ARG_DATA / name, out / (Path(name).stem + ".bpf.o")
            if SA.FILES[name].build == "clang":
                subprocess.run([clang22, "--target=bpf", "-mcpu=v3", "-g", "-O2",
                                f"-D{ARCH_MACRO}", f"-D{FEATURE_MACRO}=1", f"-I{INCLUDE_DIR}",
                                *header_flags(), "-c", str(src), "-o", str(obj)],
                               check=True, capture_output=True, text=True)
            else:
                compile_c(src, obj, CompileOptions(include_dirs=[str(INCLUDE_DIR)]))
            built[name] = obj
        return built[name]
    return build


@pytest.fixture(scope="module")
def mock_kernel():
    try:
        from pipeline.kernel import registry
        return registry()
    except Exception as e:  # noqa: BLE001 - the mock kernel needs clang to build its BTF
        pytest.skip(f"mock kernel unavailable: {type(e).__name__}: {e}")


@pytest.mark.parametrize("case", RUN_CASES, ids=[c.prog for c in RUN_CASES])
def test_selftest_retval_through_the_jit(sa_objects, mock_kernel, case):
    import pipeline
    missing = [k for k in case.kfuncs if k not in mock_kernel.kfuncs]
    if missing:
        pytest.skip(f"the mock kernel lacks {', '.join(missing)}")
    obj = pipeline.load(sa_objects(case.file))
    data = pkt_v4() if case.test_run == SA.PKT_V4 else bytes(64)
    out = pipeline.run(obj, case.prog, data=data, verify=False)
    assert out.retval == case.retval
    if case.kfuncs:
        assert {c["name"] for c in out.kfunc_calls} & set(case.kfuncs)


# ------------------------------------------------------------------ 3. the bundled example

def test_sum10_example_returns_55():
    import pipeline
    obj = pipeline.build(ROOT / "examples" / "sum10.c")
    out = pipeline.run(obj, "sum", verify=False)
    assert out.retval == 55 and out.globals["calls"] == 1
    out = pipeline.run(obj, "sum", verify=False, globals={"step": "2"}, repeat=3)
    assert out.retval == 110 and out.globals["calls"] == 3


# ------------------------------------------------------------------ 4. the native frame

MD = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)


def cs_num(v: int) -> str:
    """capstone's spelling of a small immediate: decimal below 10, hex from 10."""
    return str(v) if v < 10 else hex(v)


def listing(image, lo: int, hi: int) -> list[str]:
    return [f"{i.mnemonic} {i.op_str}".strip() for i in MD.disasm(image.code[lo:hi], lo)]


def insn_code(image, slot: int) -> list[str]:
    f = image.func_at_slot(slot)
    later = [image.insn_offsets[i] for i in range(slot + 1, f.end) if image.insn_offsets[i] >= 0]
    hi = later[0] if later else f.epilogue_offset
    return listing(image, image.insn_offsets[slot], hi)


TWELVE = """
    mov %r1, 1
    mov %r2, 2
    mov %r3, 3
    mov %r4, 4
    mov %r5, 5
    stdw [%r11-8], 6
    mov %r6, 7
    stxdw [%r11-16], %r6
    stdw [%r11-24], 8
    stdw [%r11-56], 12
    stdw [%r11-32], 9
    stdw [%r11-40], 10
    stdw [%r11-48], 11
    call local f
    exit
f:
    ldxdw %r6, [%r11+8]
    ldxdw %r7, [%r11+16]
    ldxdw %r8, [%r11+56]
    mov %r0, %r1
    add %r0, %r6
    lsh %r7, 8
    add %r0, %r7
    lsh %r8, 16
    add %r0, %r8
    exit
"""


def test_twelve_argument_call_frame():
    prog = assemble(TWELVE)
    image = jit(prog)
    main, f = image.funcs
    assert main.out_slots == 7 and main.out_area == 48
    assert main.frame_size % 16 == 0            # it calls: rsp 16-byte aligned at the call
    assert f.frame_size == f.stack_size + 8 * len(f.pushed)   # a leaf: no padding
    # slot 1 is r9; slot k >= 2 is [rbp - frame + 8(k-2)], i.e. [rsp + 8(k-2)]
    assert insn_code(image, 5) == ["mov r9d, 6"]
    assert insn_code(image, 7) == [f"mov qword ptr [rbp - {hex(main.frame_size)}], rbx"]
    for slot, k, v in ((8, 3, 8), (9, 7, 12), (10, 4, 9)):
        disp = -main.frame_size + 8 * (k - 2)
        assert insn_code(image, slot) == [f"mov qword ptr [rbp - {hex(-disp)}], {cs_num(v)}"]
    # the prologue reserves the outgoing area below the saved registers: rsp = rbp - frame
    pro = listing(image, main.offset, main.body_offset)
    assert pro[:2] == ["push rbp", "mov rbp, rsp"] and "push rbx" in pro
    assert insn_code(image, 13)[0].startswith("call ")
    # the callee: arg 6 from r9, arg 7 at [rbp + 0x10], arg 12 at [rbp + 0x38]
    assert insn_code(image, 15) == ["mov rbx, r9"]
    assert insn_code(image, 16) == ["mov r13, qword ptr [rbp + 0x10]"]
    assert insn_code(image, 17) == ["mov r14, qword ptr [rbp + 0x38]"]
    assert UnicornExecutor(image).run().retval == 1 + 6 + (7 << 8) + (12 << 16)


def test_kfunc_sees_all_twelve_arguments_at_sysv_places():
    """A kfunc call made at odd stack depths: r9 and [rsp+8]... hold args 6..12."""
    prog = assemble(TWELVE.replace("call local f", "call 7").split("f:")[0])
    insns = [dataclasses.replace(i, src=op.PSEUDO_KFUNC_CALL, imm=99)
             if i.code == op.CALL_OP else i for i in prog]
    seen = []

    def kfunc(vm, *args):
        seen.append(args)
        return sum(args)
    kfunc.nr_slots = 12
    for depth in (0, 8, 16, 24):   # different BPF stack sizes shift the frame
        seen.clear()
        image = jit(insns, [FuncSpec(0, "main", stack_depth=depth)])
        assert UnicornExecutor(image, kfuncs={99: kfunc}).run().retval == 78
        assert seen == [tuple(range(1, 13))]


def test_load_beyond_known_incoming_slots_is_refused():
    prog = assemble("call local f\nexit\nf:\nldxdw %r0, [%r11+16]\nexit")
    jit(prog)                                            # unknown count: trusted
    with pytest.raises(JitError, match="invalid read from stack arg"):
        jit(prog, [FuncSpec(0, "main"), FuncSpec(2, "f", stack_arg_cnt=1)])


# ------------------------------------------------------------------ 5. the jit command

def test_jit_command_shows_the_stack_argument_mapping():
    p = subprocess.run([sys.executable, "-m", "pipeline", "jit", str(ROOT / "examples" / "sum10.c"),
                        "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    listing = json.loads(p.stdout)["programs"][0]
    funcs = {f["name"]: f for f in listing["funcs"]}
    assert funcs["sum"]["out_slots"] == 5 and funcs["sum"]["stack_arg_cnt"] == 0
    assert funcs["sum10"]["stack_arg_cnt"] == 5 and funcs["sum"]["frame_size"] % 16 == 0
    frame = funcs["sum"]["frame_size"]
    after: dict[str, list[str]] = {}
    current = None
    for line in listing["lines"]:
        if line["kind"] == "bpf":
            current = line["text"]
            after[current] = []
        elif line["kind"] == "x86" and current is not None:
            after[current].append(line["text"])
    loads = {t: x for t, x in after.items() if "(r11 +" in t}
    stores = {t: x for t, x in after.items() if "(r11 -" in t}
    assert len(loads) == 5 and len(stores) == 5
    assert [x for t, x in loads.items() if "r11 + 0x8)" in t][0][0].endswith(", r9")
    # arg 7: [rbp + 0x10] in a framed callee, [rsp + 8] in a frameless leaf; the load may be
    # folded into its use (the fused code is listed under the load)
    assert [x for t, x in loads.items() if "r11 + 0x10)" in t][0][0].endswith(
        ("qword ptr [rbp + 0x10]", "qword ptr [rsp + 8]"))
    assert [x for t, x in stores.items() if "r11 - 0x8)" in t][0][0].startswith("mov r9, ")
    assert [x for t, x in stores.items() if "r11 - 0x10)" in t][0][0].startswith(
        f"mov qword ptr [rbp - {hex(frame)}], ")
    text = subprocess.run([sys.executable, "-m", "pipeline", "jit", str(ROOT / "examples" / "sum10.c")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert text.returncode == 0 and "<sum10>:" in text.stdout and "call " in text.stdout
