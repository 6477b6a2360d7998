"""CO-RE and .kconfig through the CLI: what disasm/verify show, and one-line errors.

The relocated offsets are checked against ``offsetof`` in the same UAPI header compiled
natively with gcc (struct __sk_buff is the mock kernel's and the kernel's context layout), and
the refusals against libbpf's own behaviour on the same (tampered) object where the kernel is
available.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from isa.elf import read_elf
from tests.oracles import kernel as K

ROOT = Path(__file__).resolve().parents[2]
TC = ROOT / "tests" / "data" / "core" / "tc_ctx.c"


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def sk_buff_offsets(tmp_path_factory):
    gcc = shutil.which("gcc")
    if not gcc:
        pytest.skip("gcc not installed")
    d = tmp_path_factory.mktemp("offsetof")
    (d / "o.c").write_text('#include <stdio.h>\n#include <stddef.h>\n#include <linux/bpf.h>\n'
                           'int main(void) { printf("%zu %zu\\n", offsetof(struct __sk_buff, '
                           'protocol), offsetof(struct __sk_buff, ifindex)); return 0; }\n')
    subprocess.run([gcc, "-o", str(d / "o"), str(d / "o.c")], check=True)
    proto, ifindex = map(int, subprocess.run([str(d / "o")], capture_output=True,
                                             text=True).stdout.split())
    return {"protocol": proto, "ifindex": ifindex}


def test_disasm_annotates_relocated_instructions(sk_buff_offsets):
    out = cli("disasm", TC, "--prog", "tc_fields")
    assert out.returncode == 0, out.stderr
    notes = [l for l in out.stdout.splitlines() if "; CO-RE <byte_off>" in l]
    want = {f"__sk_buff___mine::{f} ": v for f, v in sk_buff_offsets.items()}
    for field, off in want.items():
        lines = [l for l in notes if field in l]
        assert lines and all(l.endswith(f"-> {off}") for l in lines), lines
        assert any(f"(r1 + {off:#x})" in l for l in lines), lines     # the patched load
    js = json.loads(cli("disasm", TC, "--prog", "tc_fields", "--json").stdout)
    core = [i for i in js["programs"][0]["insns"] if i.get("reloc", {}).get("kind") == "core"]
    assert {c["reloc"]["offset"] for c in core} >= set(sk_buff_offsets.values())


@pytest.mark.parametrize("stem", ["tc_ctx", "kernel_types"])
def test_disasm_notes_are_llvm_objdumps_core_lines(stem, tmp_path):
    """Each note starts with what ``llvm-objdump-22 -dr`` prints for that .BTF.ext record."""
    tool = shutil.which("llvm-objdump-22")
    if not tool:
        pytest.skip("llvm-objdump-22 not installed")
    import pipeline
    obj = pipeline.build(ROOT / "tests" / "data" / "core" / f"{stem}.c",
                         output=tmp_path / f"{stem}.bpf.o")
    listing = subprocess.run([tool, "-dr", str(tmp_path / f"{stem}.bpf.o")], check=True,
                             capture_output=True, text=True).stdout
    theirs, sec = {}, None
    for line in listing.splitlines():
        if line.startswith("Disassembly of section "):
            sec = line[len("Disassembly of section "):].rstrip(":")
        elif "CO-RE <" in line:
            off, text = line.strip().split(":  ", 1)
            theirs.setdefault((sec, int(off, 16) // 8), []).append(text)
    ours = {}
    for prog in obj.programs:
        for _, r in obj.core_relocations.get(prog.name, ()):
            ours.setdefault((r.section, r.insn), set()).add(r.note().rsplit(": ", 1)[0])
    assert ours and set(ours) == set(theirs)
    for key, texts in theirs.items():
        assert ours[key] == set(texts), key


def test_verify_lists_relocations_and_json(sk_buff_offsets):
    out = cli("verify", TC, "--prog", "tc_fields")
    assert out.returncode == 0, out.stderr
    assert f"struct __sk_buff.protocol (0:4 @ offset {sk_buff_offsets['protocol']})" in out.stdout
    js = json.loads(cli("verify", TC, "--prog", "tc_fields", "--json").stdout)
    rel = js["programs"][0]["core_relocations"]
    by_kind = {(r["kind"], r["local"].split(" (")[0]): r for r in rel}
    assert by_kind[("byte_off", "[19] struct __sk_buff___mine.ifindex")]["new"] \
        == sk_buff_offsets["ifindex"]
    missing = by_kind[("field_exists", "[19] struct __sk_buff___mine.no_such_field")]
    assert (missing["orig"], missing["new"], missing["target"]) == (1, 0, None)


def test_unguarded_poison_is_rejected_with_libbpfs_message():
    out = cli("verify", TC, "--prog", "tc_unguarded")
    assert out.returncode == 1
    assert "tc_unguarded: rejected: failed to resolve CO-RE relocation <byte_off> [19] struct " \
           "__sk_buff___mine.no_such_field (0:2 @ offset 8)" in out.stdout


@pytest.mark.parametrize("args, text", [
    (["--target-btf", "/nonexistent/btf"], "--target-btf /nonexistent/btf: no such file"),
    (["--kconfig", "/nonexistent/config"], "--kconfig /nonexistent/config: no such file"),
    (["--target-btf", str(TC)], "--target-btf"),
])
def test_bad_load_options_are_one_line_errors(args, text):
    for cmd in ("verify", "run", "disasm", "jit"):
        out = cli(cmd, TC, "--prog", "tc_fields", *args)
        assert out.returncode == 2, (cmd, out.stdout, out.stderr)
        assert text in out.stderr and "Traceback" not in out.stderr, (cmd, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1, (cmd, out.stderr)


def test_instruction_without_its_compile_time_value_is_refused(tmp_path):
    """libbpf checks that a relocated instruction holds the local value before patching it
    (``unexpected insn #0 (LDX/ST/STX) value``) and refuses the object otherwise."""
    obj = tmp_path / "tc.bpf.o"
    assert cli("build", TC, "-o", obj).returncode == 0
    data = bytearray(obj.read_bytes())
    sec = next(s for s in read_elf(bytes(data), str(obj)).sections if s.name == "tc")
    # tc_fields' load of protocol (local offset 0, the .BTF.ext record for it found by
    # llvm-objdump's listing: the first `w1 = *(u32 *)(r1 + 0x0)`): make it offset 4
    at = next(i for i in range(0, sec.size, 8)
              if data[sec.offset + i] == 0x61 and data[sec.offset + i + 2:sec.offset + i + 4]
              == b"\0\0")
    data[sec.offset + at + 2] = 4
    bad = tmp_path / "bad.bpf.o"
    bad.write_bytes(bytes(data))
    out = cli("verify", bad, "--prog", "tc_fields")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"unexpected insn #{at // 8} (LDX/ST/STX) value: got 4, exp 0 -> 16" in out.stderr
    if K.kernel_available()[0] and K.libbpf_available()[0]:
        with K.load_object(bad, "tc_fields") as res:
            assert not res.accepted and not res.reached_kernel     # libbpf refused it too


def test_run_with_kconfig_file(tmp_path):
    conf = tmp_path / "config.gz"
    import gzip
    conf.write_bytes(gzip.compress(b"CONFIG_HZ=300\nCONFIG_BPF_SYSCALL=y\n"))
    src = ROOT / "tests" / "data" / "core" / "kconfig.c"
    out = cli("run", src, "--prog", "kconfig", "--kconfig", conf, "--json",
              "--data", "00" * 12 + "0800" + "00" * 50)
    assert out.returncode == 0, out.stderr
    # version >= 5: 1; HZ 300; BPF_SYSCALL y; the rest from the mock kernel's config
    # (NET_CLS_ACT=y, NR_CPUS=256) or unset weak (0)
    want = (1 + 3000 + 100000 + 10000000 + 256 * 1000000000) & 0x7FFFFFFF
    assert json.loads(out.stdout)["retval"] == want
