"""`python -m pipeline disasm` end to end, in a subprocess (the CLI contract of DESIGN §7).

The listing of each linked function is compared with llvm-objdump-22's listing of
the same function in the original object: instruction text and bytes agree line
for line except where linking rewrote the instruction (pseudo calls, callbacks,
kfunc calls, map/global loads); those carry a '; ...' note instead.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data" / "loader"


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "pipeline", "disasm", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


_LINE = re.compile(r"^\s*(\d+):\t((?:[0-9a-f]{2} ?)+)\t(.*)$")
_HEAD = re.compile(r"^[0-9a-f]{16} <(.+)>:")


def blocks(text: str) -> dict[str, list[tuple[int, str, str]]]:
    """function name -> [(slot, hex bytes, text)] from an objdump-style listing."""
    out: dict[str, list] = {}
    cur = None
    for line in text.splitlines():
        if line.startswith("Disassembly of section") or line.startswith("Program "):
            cur = None
        elif m := _HEAD.match(line):
            cur = out.setdefault(m.group(1), [])
        elif cur is not None and (m := _LINE.match(line)):
            cur.append((int(m.group(1)), m.group(2).replace(" ", ""), m.group(3)))
    return out


def per_program(text: str) -> dict[str, str]:
    parts = re.split(r"^Program (\S+) ", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_hello_example_matches_objdump(objdump22, hello_obj):
    res = cli(str(hello_obj))
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    ref = blocks(subprocess.run([objdump22, "-d", str(hello_obj)], capture_output=True, text=True,
                                check=True).stdout)
    progs = per_program(res.stdout)
    # hello.c: both programs call hello(), which calls mix() twice
    assert set(progs) == {"hello_xdp", "hello_socket"}
    assert "(section xdp, type xdp," in res.stdout and "(section socket, type socket_filter," in res.stdout
    compared = 0
    for name, body in progs.items():
        ours = blocks(body)
        assert list(ours) == [name, "hello", "mix"]
        for func, lines in ours.items():
            theirs = ref[func]
            assert len(lines) == len(theirs)
            base = lines[0][0]
            for (idx, raw, text), (r_idx, r_raw, r_text) in zip(lines, theirs):
                assert idx - base == r_idx - theirs[0][0]
                if "\t; " in text:  # rewritten by linking: the opcode stays
                    assert raw[:2] == r_raw[:2], (func, idx)
                    continue
                assert (raw, text) == (r_raw, r_text), (func, idx)
                compared += 1
    assert compared > 20


def test_json_shape_and_prog_filter(objdump22, hello_obj):
    res = cli(str(hello_obj), "--json", "--prog", "hello_socket")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    (prog,) = doc["programs"]
    assert (prog["name"], prog["section"], prog["type"], prog["autoload"]) == \
        ("hello_socket", "socket", "socket_filter", True)
    assert [s["name"] for s in prog["subprograms"]] == ["hello", "mix"]
    slots = 0
    for entry in prog["insns"]:
        assert entry["idx"] == slots
        assert set(entry) >= {"idx", "bytes", "text", "func"}
        slots += len(entry["bytes"]) // 16
    assert slots == prog["insn_count"]
    calls = [e for e in prog["insns"] if e.get("reloc", {}).get("kind") == "subprog"]
    starts = {s["name"]: s["start"] for s in prog["subprograms"]}
    assert calls and all(c["reloc"]["target"] == starts[c["reloc"]["name"]] for c in calls)
    data = [e["reloc"] for e in prog["insns"] if e.get("reloc", {}).get("kind") == "data"]
    assert {d["elf"]["symbol"] for d in data} == {"runs", "scale"}  # the globals in hello.c


def test_c_input_is_compiled_first(tmp_path):
    pytest.importorskip("toolchain.driver")
    res = cli(str(DATA / "nested.c"), "--json")
    if res.returncode and "toolchain" in res.stdout + res.stderr and "clang" in res.stdout + res.stderr:
        pytest.skip(f"no usable compiler: {res.stdout or res.stderr}")
    assert res.returncode == 0, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    assert {p["name"]: [s["name"] for s in p["subprograms"]] for p in doc["programs"]} == \
        {"tc_outer": ["outer", "middle", "inner"], "tc_middle": ["middle", "inner"]}


def test_c_compile_error_exits_1(tmp_path):
    pytest.importorskip("toolchain.driver")
    src = tmp_path / "broken.c"
    src.write_text("int f(void) { return undeclared_name; }\n")
    res = cli(str(src), "--json")
    assert res.returncode == 1, res.stdout + res.stderr
    err = json.loads(res.stdout)["error"]
    assert err["kind"] == "compile" and "Traceback" not in res.stderr


@pytest.mark.parametrize("payload, needle", [
    (b"", "not an ELF file"),
    (b"\x7fELF\x02\x01\x01" + bytes(20), "truncated ELF header"),
    ("truncated-hello", "past end of file"),
    ("x86-machine", "e_machine is 62"),
])
def test_bad_objects_exit_2_with_one_line(tmp_path, payload, needle, hello_obj):
    hello = hello_obj.read_bytes()
    if payload == "truncated-hello":
        payload = hello[: len(hello) // 2]
    elif payload == "x86-machine":
        payload = hello[:18] + (62).to_bytes(2, "little") + hello[20:]
    bad = tmp_path / "bad.bpf.o"
    bad.write_bytes(payload)
    res = cli(str(bad))
    assert res.returncode == 2 and res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(bad) in lines[0] and needle in lines[0]
    res = cli(str(bad), "--json")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    err = json.loads(res.stdout)["error"]
    assert err["kind"] == "elf" and needle in err["message"] and err["location"].startswith(str(bad))


def test_bad_instruction_names_section_and_offset(tmp_path, objdump22, hello_obj):
    hello = bytearray(hello_obj.read_bytes())
    # locate section socket's bytes through llvm-readelf-22's section table
    readelf = subprocess.run(["llvm-readelf-22", "--elf-output-style=JSON", "-S", str(hello_obj)],
                             capture_output=True, text=True, check=True)
    (sec,) = [s["Section"] for s in json.loads(readelf.stdout)[0]["Sections"]
              if s["Section"]["Name"]["Name"] == "socket"]
    off = sec["Offset"]
    assert sec["Size"] >= 16
    hello[off + 8] = 0xA1  # slot 1: an LDX with an undefined mode
    bad = tmp_path / "badinsn.o"
    bad.write_bytes(bytes(hello))
    res = cli(str(bad), "--json")
    assert res.returncode == 2
    err = json.loads(res.stdout)["error"]
    assert err["location"] == f"{bad}:socket+0x8"
    assert "section 'socket' offset 0x8" in err["message"]


def test_unknown_prog_and_missing_file(tmp_path, hello_obj):
    res = cli(str(hello_obj), "--prog", "nope")
    assert res.returncode == 2 and "nope" in res.stderr and "hello_xdp" in res.stderr
    assert len(res.stderr.splitlines()) == 1
    res = cli(str(tmp_path / "missing.o"), "--json")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "missing.o" in json.loads(res.stdout)["error"]["message"]


def test_loader_data_objects_all_disassemble(clang22, tmp_path):
    """Every corpus object lists without error, each program with a header line."""
    for src in sorted(DATA.glob("*.c")):
        out = tmp_path / f"{src.stem}.o"
        subprocess.run([clang22, "--target=bpf", "-g", "-O2",
                        f"-I/usr/include/{platform.machine()}-linux-gnu", "-c", str(src), "-o", str(out)],
                       check=True, capture_output=True)
        res = cli(str(out), "--json")
        assert res.returncode == 0, (src.name, res.stdout, res.stderr)
        assert json.loads(res.stdout)["programs"]


def test_local_asm_labels_name_jump_targets_as_llvm_objdump_does(tmp_path, objdump22):
    src = tmp_path / "labels.c"
    src.write_text('#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n'
                   'SEC("tc") __attribute__((naked)) void f(void)\n{\n'
                   '\tasm volatile ("r0 = 0;" "if r0 > 5 goto l0_%=;" "r0 = 1;" "l0_%=:"\n'
                   '\t\t"if r0 == 1 goto l1_%=;" "r0 += 2;" "l1_%=:" "exit;" ::: "r0");\n}\n'
                   'char LICENSE[] SEC("license") = "GPL";\n')
    obj = tmp_path / "labels.o"
    subprocess.run([sys.executable, "-m", "pipeline", "build", str(src), "-o", str(obj)],
                   check=True, capture_output=True, cwd=ROOT)
    want = [ln for ln in subprocess.run([objdump22, "-d", str(obj)], capture_output=True,
                                        text=True, check=True).stdout.splitlines()
            if re.match(r"^\s+\d+:|^[0-9a-f]{16} <l\d_0>:", ln)]
    ours = subprocess.run([sys.executable, "-m", "pipeline", "disasm", str(obj)],
                          capture_output=True, text=True, check=True, cwd=ROOT).stdout
    got = [ln for ln in ours.splitlines() if re.match(r"^\s+\d+:|^[0-9a-f]{16} <l\d_0>:", ln)]
    assert any("<l0_0>" in ln for ln in want) and any("goto +0x" in ln and "<l1_0>" in ln
                                                      for ln in want)
    assert got == want
