"""isa.disasm kernel style vs the kernel's own printer (kernel/bpf/disasm.c).

Oracles, strongest first:

1. **The running kernel's verifier log.**  At log level 2 the verifier lists every
   instruction of the program before it starts (``Live regs before insn:``), printed by the
   kernel's ``print_bpf_insn`` with the verifier's callbacks.  Programs are built from every
   instruction form of tests/support/forms.py (operands varied, jump targets kept in range) and
   loaded with ``bpf(BPF_PROG_LOAD)``; each listed line must equal ours.  Whether the program
   is later accepted does not matter — the listing comes first.  The helper table is checked
   the same way, one call per id.
2. **``bpftool prog dump xlated``** of clang-22 programs loaded with ``bpftool prog load``:
   the kernel-rewritten instruction stream, printed by bpftool's copy of disasm.c with its
   own callbacks (kallsyms names for helpers and subprograms, ``map[id:N]`` for maps).  We
   print the same xlated bytes, supplying equivalent callbacks.
3. The r11 strings of /work/shared/reference/stack_arg_abi.md, which come from kernel
   selftests (``progs/stack_arg_precision.c``).

Tests needing bpf() skip with the reason when it is unavailable (not Linux, not root,
bpf() denied, or a kernel too old to list instructions).
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from isa import Insn, decode, encode
from isa import opcodes as op
from isa.disasm import disassemble, format_insn, render_kernel
from isa.uapi import MAX_HELPER_ID, helper_name

_TESTS = str(Path(__file__).resolve().parents[1])   # tests/, appended: see tests/support
if _TESTS not in sys.path:
    sys.path.append(_TESTS)
from support.forms import Form, all_forms, instances  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "disasm"

# --- a minimal bpf() wrapper (ctypes) ------------------------------------------------------
_SYS_BPF = {"x86_64": 321, "aarch64": 280}
BPF_PROG_LOAD, BPF_PROG_GET_FD_BY_ID, BPF_OBJ_GET_INFO_BY_FD = 5, 13, 15
SOCKET_FILTER = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _bpf(cmd: int, attr: bytes) -> tuple[int, int, ctypes.Array]:
    buf = ctypes.create_string_buffer(attr, len(attr))
    ret = _libc.syscall(_SYS_BPF[platform.machine()], cmd, buf, len(attr))
    return ret, ctypes.get_errno() if ret < 0 else 0, buf


def prog_load(insns: list[Insn], log_level: int = 2,
              prog_type: int = SOCKET_FILTER) -> tuple[int, str]:
    """(errno or 0, verifier log).  The program fd, if any, is closed at once."""
    code = ctypes.create_string_buffer(encode(insns))
    license_ = ctypes.create_string_buffer(b"GPL")
    log = ctypes.create_string_buffer(1 << 22 if log_level else 1)
    attr = struct.pack("<IIQQIIQ", prog_type, len(insns), ctypes.addressof(code),
                       ctypes.addressof(license_), log_level, len(log) if log_level else 0,
                       ctypes.addressof(log) if log_level else 0)
    fd, err, _ = _bpf(BPF_PROG_LOAD, attr.ljust(160, b"\0"))
    if fd >= 0:
        os.close(fd)
    return err, log.value.decode(errors="replace")


def listing(log: str) -> dict[int, str] | None:
    """The verifier's ``Live regs before insn`` listing: slot -> printed instruction.

    Lines are ``[scc] slot: <live r0..r9> (code) text``; instructions inside a loop carry
    the number of their strongly connected component in front."""
    _, sep, rest = log.partition("Live regs before insn:\n")
    if not sep:
        return None
    out = {}
    for line in rest.splitlines():
        m = re.match(r"\s*(?:\d+\s+)?(\d+): [.0-9]+ (.*)$", line)  # [SCC id] slot: live regs
        if not m:
            break
        out[int(m.group(1))] = m.group(2)
    return out


@lru_cache(maxsize=None)
def kernel_status() -> str | None:
    """None if the kernel oracle works here, else why not."""
    if platform.system() != "Linux" or platform.machine() not in _SYS_BPF:
        return f"bpf() oracle needs Linux on {sorted(_SYS_BPF)}"
    prog = [Insn(op.ALU64 | op.MOV | op.K, 0, 0, 0, 0), Insn(op.EXIT_OP)]
    err, log = prog_load(prog)
    if err:
        return f"bpf(BPF_PROG_LOAD) failed here: {os.strerror(err)} (needs root / CAP_BPF)"
    if listing(log) is None:
        return "this kernel's verifier log has no instruction listing (needs Linux >= 6.15)"
    return None


@pytest.fixture(scope="module")
def kernel():
    reason = kernel_status()
    if reason:
        pytest.skip(reason)


def assert_listing_matches(prog: list[Insn], log: str, **callbacks):
    listed = listing(log)
    assert listed, f"kernel did not list the program:\n{log[-2000:]}"
    ours = {ln.index: ln.text for ln in disassemble(prog, "kernel", **callbacks)}
    assert listed == ours, "\n".join(
        f"{i}: kernel {listed.get(i)!r} ours {ours.get(i)!r}"
        for i in sorted(set(listed) | set(ours)) if listed.get(i) != ours.get(i))


# --- 1. the verifier listing over every form ----------------------------------------------
MOV0 = Insn(op.ALU64 | op.MOV | op.K, 0, 0, 0, 0)
EXIT = Insn(op.EXIT_OP)
KERNEL_LACKS = {"callx": "unknown opcode 8d"}  # BPF_CALL | BPF_X: LLVM has it, Linux does not
NEEDS_OBJECTS = {"ld_imm64 map_fd", "ld_imm64 map_value", "ld_imm64 btf_id", "ld_imm64 map_idx",
                 "ld_imm64 map_idx_value"}  # resolved against real maps/BTF: see the xlated test


@lru_cache(maxsize=None)
def vmlinux_funcs() -> dict[str, int]:
    """BTF ids of a few kfuncs every program type may call, from ``bpftool btf dump``."""
    bpftool = shutil.which("bpftool")
    if not bpftool or not os.path.exists("/sys/kernel/btf/vmlinux"):
        return {}
    out = subprocess.run([bpftool, "btf", "dump", "file", "/sys/kernel/btf/vmlinux"],
                         capture_output=True, text=True).stdout
    wanted = ("bpf_rcu_read_lock", "bpf_rcu_read_unlock")
    return {m.group(2): int(m.group(1)) for m in re.finditer(r"^\[(\d+)\] FUNC '(\w+)'", out, re.M)
            if m.group(2) in wanted}


def kernel_program(form: Form) -> list[Insn]:
    """Instances of ``form`` in a program the verifier will list: jumps land inside the main
    function, calls reach a subprogram or a real helper/kfunc, nothing is unreachable."""
    GUARD = Insn(op.JMP | op.JEQ | op.K, 0, 0, 1, 0)  # if r0 == 0 goto +1: skips the next insn
    parts: list[tuple[str, list[Insn]]] = [("plain", [MOV0])]
    for k, inst in enumerate(instances(form, count=16)):
        insn = inst[0]
        if form.name == "exit":
            break  # the program's own exit is the instance
        if insn.code in (op.JMP | op.JA, op.JMP32 | op.JA):  # unconditional: guard the fall-through
            parts += [("plain", [GUARD]), ("forward", inst)]
        elif insn.cls in (op.JMP, op.JMP32) and op.alu_op(insn.code) not in (op.CALL, op.EXIT):
            parts.append(("anywhere", inst))
        elif insn.code == op.CALL_OP and insn.src == op.PSEUDO_KFUNC_CALL:
            funcs = sorted(vmlinux_funcs().values())
            if not funcs:
                pytest.skip("no vmlinux BTF / bpftool to find a kfunc id")
            parts.append(("plain", [Insn(insn.code, 0, insn.src, 0, funcs[k % len(funcs)])]))
        elif insn.code == op.CALL_OP and insn.src == op.CALL_HELPER:
            parts.append(("plain", [Insn(insn.code, 0, 0, 0, 1 + k * 37 % MAX_HELPER_ID)]))
        elif insn.code == op.CALL_OP and insn.src == op.PSEUDO_CALL or (
                insn.is_ld_imm64 and insn.src == op.PSEUDO_FUNC):
            parts.append(("subprog", inst))
        else:
            parts.append(("plain", inst))
    parts.append(("plain", [MOV0, EXIT]))
    prog = [x for _, xs in parts for x in xs]
    main_end = len(prog) - 1
    sub = len(prog)
    if any(role == "subprog" for role, _ in parts):
        prog += [MOV0, EXIT]
    i = 0
    for role, xs in parts:
        insn = xs[0]
        if role == "subprog":
            prog[i] = Insn(insn.code, insn.dst, insn.src, 0, sub - (i + 1))
        elif role in ("forward", "anywhere"):
            if role == "forward":
                target = i + 1 + (i * 7) % (main_end - i)  # past the guard, up to the exit
            else:
                target = (i * 7) % (main_end + 1)  # backward jumps included
            delta = target - (i + 1)
            if insn.code == op.JMP32 | op.JA:
                prog[i] = Insn(insn.code, 0, 0, 0, delta)
            else:
                prog[i] = Insn(insn.code, insn.dst, insn.src, delta, insn.imm)
        i += len(xs)
    return prog


def kfunc_names(insn: Insn) -> str | None:
    if insn.src == op.PSEUDO_KFUNC_CALL:
        return {v: k for k, v in vmlinux_funcs().items()}.get(insn.imm)
    return None


LISTED_FORMS = [f for f in all_forms() if f.name not in NEEDS_OBJECTS]


@pytest.mark.parametrize("form", LISTED_FORMS, ids=[f.name for f in LISTED_FORMS])
def test_form_matches_verifier_listing(form: Form, kernel):
    prog = kernel_program(form)
    err, log = prog_load(prog)
    if listing(log) is None and form.name in KERNEL_LACKS:
        assert KERNEL_LACKS[form.name] in log
        pytest.skip(f"this kernel has no {form.name}: {KERNEL_LACKS[form.name]}")
    assert_listing_matches(prog, log, call_name=kfunc_names)


def test_every_helper_name_matches_the_kernel(kernel):
    prog = [Insn(op.CALL_OP, 0, 0, 0, hid) for hid in range(1, MAX_HELPER_ID + 1)] + [MOV0, EXIT]
    err, log = prog_load(prog)
    assert_listing_matches(prog, log)
    assert listing(log)[0] == "(85) call bpf_map_lookup_elem#1"


def test_r11_stack_argument_forms_match_the_kernel(kernel):
    prog = [Insn(op.ALU64 | op.MOV | op.K, 1, 0, 0, 4),
            Insn(op.STX | op.MEM | op.DW, op.PARAMS, 1, -16, 0),
            Insn(op.LDX | op.MEM | op.DW, 1, op.PARAMS, 8, 0),
            Insn(op.ST | op.MEM | op.DW, op.PARAMS, 0, -8, 4),
            MOV0, EXIT]
    err, log = prog_load(prog)
    assert_listing_matches(prog, log)


# --- 3. literal strings from kernel selftests (no kernel needed) ----------------------------
def test_stack_arg_abi_reference_strings():
    prog = [Insn(0x7B, op.PARAMS, 1, -16, 0), Insn(0x79, 1, op.PARAMS, 8, 0),
            Insn(0x7A, op.PARAMS, 0, -8, 4)]
    assert [format_insn(prog, i, "kernel") for i in range(3)] == [
        "(7b) *(u64 *)(r11 -16) = r1",
        "(79) r1 = *(u64 *)(r11 +8)",
        "(7a) *(u64 *)(r11 -8) = 4",
    ]
    ref = Path(__file__).resolve().parents[3] / "shared" / "reference" / "stack_arg_abi.md"
    if ref.exists():
        text = ref.read_text()
        for s in ("(7b) *(u64 *)(r11 -16) = r1", "(79) r1 = *(u64 *)(r11 +8)",
                  "(7a) *(u64 *)(r11 -8) = 4"):
            assert s in text


def test_kernel_style_callbacks_and_fallbacks():
    call = [Insn(op.CALL_OP, 0, op.PSEUDO_CALL, 0, 3),
            Insn(op.CALL_OP, 0, op.PSEUDO_KFUNC_CALL, 0, 77),
            Insn(op.CALL_OP, 0, 0, 0, 1), Insn(op.CALL_OP, 0, 0, 0, 9999)]
    assert [format_insn(call, i, "kernel") for i in range(4)] == [
        "(85) call pc+3", "(85) call kernel-function#77", "(85) call bpf_map_lookup_elem#1",
        "(85) call unknown#9999"]
    names = {77: "bpf_rcu_read_lock"}
    assert format_insn(call, 1, "kernel", call_name=lambda i: names.get(i.imm)) == \
        "(85) call bpf_rcu_read_lock#77"
    ld = [Insn(op.LD_IMM64, 1, op.PSEUDO_MAP_VALUE, 0, 5), Insn(0, 0, 0, 0, 16)]
    assert format_insn(ld, 0, "kernel") == "(18) r1 = 0x1000000005"
    assert format_insn(ld, 0, "kernel", allow_ptr_leaks=False) == "(18) r1 = 0x0"
    assert format_insn(ld, 0, "kernel", imm_text=lambda i, v: f"map[id:{i.imm}][0]+{v >> 32}") \
        == "(18) r1 = map[id:5][0]+16"
    assert helper_name(211) == "bpf_cgrp_storage_delete" and helper_name(212) is None
    internal = [Insn(op.ST | 0xC0), Insn(op.ALU64 | op.MOV | op.X, 1, 2, -1, 0), Insn(0x60)]
    assert render_kernel(internal, strict=False) == (
        "   0: (c2) nospec\n   1: (bf) r1 = &(void __percpu *)(r2)\n   2: BUG_ld_60\n")


# --- 2. bpftool prog dump xlated --------------------------------------------------------------
XLATED_SOURCES = sorted(DATA.glob("*_kern_*.c"))


@pytest.fixture(scope="module")
def bpffs(kernel, bpftool, tmp_path_factory):
    """A bpffs directory to pin into: /sys/fs/bpf if mounted, else a private mount."""
    mounts = Path("/proc/mounts").read_text().split("\n")
    if any(m.split()[1:3] == ["/sys/fs/bpf", "bpf"] for m in mounts if m):
        d = Path("/sys/fs/bpf") / f"isa_disasm_test_{os.getpid()}"
        d.mkdir()
        yield d
        shutil.rmtree(d, ignore_errors=True)
        return
    d = tmp_path_factory.mktemp("bpffs")
    if subprocess.run(["mount", "-t", "bpf", "bpf", str(d)], capture_output=True).returncode:
        pytest.skip("no bpffs at /sys/fs/bpf and cannot mount one")
    try:
        yield d
    finally:
        subprocess.run(["umount", str(d)], capture_output=True)


def kallsyms() -> dict[int, str]:
    """Address -> name; read afresh (JITed programs add symbols as they load)."""
    syms = {}
    for line in Path("/proc/kallsyms").read_text().splitlines():
        addr, _, name = line.split()[:3]
        syms.setdefault(int(addr, 16), name)
    return syms


def _prog_info(fd: int, fields: dict[int, tuple[str, int]]) -> bytes:
    """BPF_OBJ_GET_INFO_BY_FD with some struct bpf_prog_info fields preset (offset -> value)."""
    raw = bytearray(256)
    for off, (fmt, value) in fields.items():
        struct.pack_into(fmt, raw, off, value)
    buf = ctypes.create_string_buffer(bytes(raw), len(raw))
    attr = struct.pack("<IIQ", fd, len(raw), ctypes.addressof(buf))
    ret, err, _ = _bpf(BPF_OBJ_GET_INFO_BY_FD, attr)
    assert ret == 0, os.strerror(err)
    return buf.raw


# struct bpf_prog_info (uapi): xlated_prog_len @20, xlated_prog_insns @32,
# nr_jited_ksyms @104, jited_ksyms @112
_XLATED_LEN, _XLATED_PTR, _NR_KSYMS, _KSYMS_PTR = 20, 32, 104, 112


def prog_xlated(prog_id: int) -> tuple[bytes, list[int]]:
    """The xlated instructions and JITed subprogram addresses of a loaded program."""
    fd, err, _ = _bpf(BPF_PROG_GET_FD_BY_ID, struct.pack("<I", prog_id).ljust(16, b"\0"))
    assert fd >= 0, os.strerror(err)
    try:
        first = _prog_info(fd, {})
        xlen = struct.unpack_from("<I", first, _XLATED_LEN)[0]
        nksyms = struct.unpack_from("<I", first, _NR_KSYMS)[0]
        xbuf, kbuf = ctypes.create_string_buffer(xlen), ctypes.create_string_buffer(8 * nksyms)
        _prog_info(fd, {_XLATED_LEN: ("<I", xlen), _XLATED_PTR: ("<Q", ctypes.addressof(xbuf)),
                        _NR_KSYMS: ("<I", nksyms), _KSYMS_PTR: ("<Q", ctypes.addressof(kbuf))})
        return xbuf.raw, list(struct.unpack(f"<{nksyms}Q", kbuf.raw))
    finally:
        os.close(fd)


def call_targets(insns: list[Insn], ksyms: list[int], base: int) -> dict[Insn, int]:
    """Kernel address each call of an xlated program goes to, as bpftool computes it."""
    out = {}
    for insn in insns:
        if insn.code == op.CALL_OP and insn.src == op.PSEUDO_CALL:
            if 0 <= insn.imm < len(ksyms):
                out[insn] = ksyms[insn.imm]
        elif insn.code == op.CALL_OP:
            out[insn] = (base + insn.imm) & ((1 << 64) - 1)
    return out


def bpftool_callbacks(insns: list[Insn], ksyms: list[int]):
    """What bpftool's xlated dumper passes to print_bpf_insn (tools/bpf/bpftool/xlated_dumper.c):
    kallsyms names for calls (``+off#name`` for subprograms), ``map[id:N]`` for maps."""
    for _ in range(5):  # /proc/kallsyms can skip JIT symbols while other programs (un)load
        syms = kallsyms()
        base = {v: k for k, v in syms.items()}["__bpf_call_base"]
        targets = call_targets(insns, ksyms, base)
        if all(addr in syms for addr in targets.values()):
            break

    def call_name(insn: Insn) -> str | None:
        addr = targets.get(insn, 0)
        name = syms.get(addr, f"{addr:#x}")
        return f"{insn.off:+d}#{name}" if insn.src == op.PSEUDO_CALL else name

    def imm_text(insn: Insn, value: int) -> str:
        if insn.src == op.PSEUDO_MAP_FD:
            return f"map[id:{insn.imm & 0xFFFFFFFF}]"
        if insn.src == op.PSEUDO_MAP_VALUE:
            return f"map[id:{insn.imm & 0xFFFFFFFF}][0]+{value >> 32}"
        if insn.src == op.PSEUDO_MAP_IDX_VALUE:
            return f"map[idx:{insn.imm & 0xFFFFFFFF}]+{value >> 32}"
        if insn.src == op.PSEUDO_FUNC:
            return f"subprog[{insn.imm:+d}]"
        return f"{value:#x}"

    return call_name, imm_text


def _load_compile_bpf():
    spec = importlib.util.spec_from_file_location("_top_conftest_kdisasm",
                                                  HERE.parent / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.compile_bpf


def test_xlated_corpus_present():
    assert len(XLATED_SOURCES) >= 3


@pytest.mark.parametrize("src", XLATED_SOURCES, ids=[s.stem for s in XLATED_SOURCES])
def test_xlated_matches_bpftool(src: Path, clang22, bpftool, bpffs, tmp_path):
    if not any(int(a) for a in list(kallsyms())[:50]):
        pytest.skip("kernel symbol addresses are hidden (kptr_restrict)")
    obj = _load_compile_bpf()(clang22, src, tmp_path / f"{src.stem}.o")
    pins = bpffs / src.stem
    load = subprocess.run([bpftool, "prog", "loadall", str(obj), str(pins)], capture_output=True,
                          text=True)
    assert load.returncode == 0, load.stderr[-3000:]
    try:
        pinned = sorted(pins.iterdir())
        assert pinned
        for pin in pinned:
            show = json.loads(subprocess.run([bpftool, "-j", "prog", "show", "pinned", str(pin)],
                                             capture_output=True, text=True, check=True).stdout)
            dump = json.loads(subprocess.run([bpftool, "-j", "prog", "dump", "xlated", "id",
                                              str(show["id"])], capture_output=True, text=True,
                                             check=True).stdout)
            theirs = [entry["disasm"] for entry in dump]
            xlated, ksyms = prog_xlated(show["id"])
            insns = decode(xlated)
            call_name, imm_text = bpftool_callbacks(insns, ksyms)
            mine = [ln.text for ln in disassemble(insns, "kernel", strict=False,
                                                  call_name=call_name, imm_text=imm_text)]
            assert mine == theirs, "\n".join(
                f"{k}: bpftool {t!r}\n{'':>{len(str(k))}}  ours    {m!r}"
                for k, (t, m) in enumerate(zip(theirs, mine)) if t != m)
    finally:
        shutil.rmtree(pins, ignore_errors=True)
