"""pipeline.loader against independent oracles.

Every object is compiled from tests/data/loader/*.c by plain clang-22.  Expected
values come from:

* ``llvm-readelf-22 --elf-output-style=JSON -S -s -r``: sections, symbols, relocations;
* ``llvm-objdump-22 -d -r``: instruction bytes per section and relocation sites;
* ``llvm-objcopy-22 --dump-section``: raw .BTF / .BTF.ext / license bytes;
* the C sources themselves: which subprograms each program can reach, which
  sections are '?'-prefixed, which externs exist;
* the libbpf documentation's "Program Types and ELF Sections" table;
* the kernel through libbpf (``bpftool prog loadall`` + ``bpftool prog dump xlated``):
  the linked layout libbpf produced (test_kernel_layout, skipped if bpf() is denied).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from isa import opcodes as op
from pipeline.loader import load

DATA = Path(__file__).resolve().parent.parent / "data" / "loader"
# refused/: objects libbpf >= 1.0 refuses at open (the loader still reads them)
SOURCES = sorted(p.stem for p in [*DATA.glob("*.c"), *DATA.glob("refused/*.c")])
MULTIARCH = f"/usr/include/{platform.machine()}-linux-gnu"


@pytest.fixture(scope="module")
def objs(clang22, tmp_path_factory) -> dict[str, Path]:
    out_dir = tmp_path_factory.mktemp("loader_objs")
    out = {}
    for stem in SOURCES:
        dst = out_dir / f"{stem}.o"
        src = DATA / f"{stem}.c"
        if not src.exists():            # objects libbpf >= 1.0 refuses at open
            src = DATA / "refused" / f"{stem}.c"
        subprocess.run([clang22, "--target=bpf", "-g", "-O2", f"-I{MULTIARCH}", "-c",
                        str(src), "-o", str(dst)], check=True, capture_output=True)
        out[stem] = dst
    return out


# --- oracle parsers -----------------------------------------------------
def readelf(path: Path) -> dict:
    tool = shutil.which("llvm-readelf-22")
    if not tool:
        pytest.skip("llvm-readelf-22 not installed")
    res = subprocess.run([tool, "--elf-output-style=JSON", "-S", "-s", "-r", str(path)],
                         check=True, capture_output=True, text=True)
    d = json.loads(res.stdout)[0]
    secs = {s["Section"]["Index"]: s["Section"] for s in d["Sections"]}
    syms = [s["Symbol"] for s in d["Symbols"]]
    rels = {}  # target section name -> [(offset, type name, symbol name)]
    for r in d["Relocations"]:
        target = secs[secs[r["SectionIndex"]]["Info"]]["Name"]["Name"]
        rels[target] = [(x["Relocation"]["Offset"], x["Relocation"]["Type"]["Name"],
                         x["Relocation"]["Symbol"]["Name"]) for x in r["Relocs"]]
    return {"sections": secs, "symbols": syms, "rels": rels}


def sec_name(elf: dict, sym: dict) -> str | None:
    idx = sym["Section"]["Value"]
    return elf["sections"][idx]["Name"]["Name"] if idx in elf["sections"] and idx else None


def is_exec(elf: dict, name: str) -> bool:
    return any(s["Name"]["Name"] == name and s["Flags"]["Value"] & 4 for s in elf["sections"].values())


_INSN = re.compile(r"^\s*(\d+):\t((?:[0-9a-f]{2} ?)+)\t(.*)$")
_REL = re.compile(r"^\s+([0-9a-f]+):\s+(R_BPF_\S+)\s+(\S+)")


def objdump(objdump22, path: Path) -> dict:
    """section -> {"insns": {slot: bytes}, "rels": {byte offset: (type, symbol)}}."""
    res = subprocess.run([objdump22, "-d", "-r", str(path)], check=True, capture_output=True, text=True)
    out, cur = {}, None
    for line in res.stdout.splitlines():
        if line.startswith("Disassembly of section "):
            cur = out.setdefault(line[len("Disassembly of section "):-1], {"insns": {}, "rels": {}})
        elif cur is not None and (m := _INSN.match(line)):
            raw = bytes.fromhex(m.group(2).replace(" ", ""))
            cur["insns"][int(m.group(1))] = raw[:8]
            if len(raw) == 16:
                cur["insns"][int(m.group(1)) + 1] = raw[8:]
        elif cur is not None and (m := _REL.match(line)):
            cur["rels"][int(m.group(1), 16)] = (m.group(2), m.group(3))
    return out


def funcs_by_section(elf: dict) -> dict[str, dict[int, str]]:
    """Executable section -> {byte offset: FUNC name} from the symbol table."""
    out: dict[str, dict[int, str]] = {}
    for s in elf["symbols"]:
        if s["Type"]["Value"] == 2 and (name := sec_name(elf, s)) and is_exec(elf, name):
            out.setdefault(name, {})[s["Value"]] = s["Name"]["Name"]
    return out


def expected_callee(elf, dis, section: str, off: int) -> str | None:
    """The function a call/LD_IMM64 at ``section+off`` refers to, from the oracles alone."""
    raw = dis[section]["insns"][off // 8]
    imm = int.from_bytes(raw[4:8], "little", signed=True)
    text_funcs = funcs_by_section(elf).get(".text", {})
    rel = dis[section]["rels"].get(off)
    is_call = raw[0] == 0x85
    if rel is None:
        if not is_call or raw[1] >> 4 != 1:
            return None
        assert section == ".text"
        return text_funcs[(off // 8 + imm + 1) * 8]
    _, sym = rel
    if sym == ".text":  # section symbol: the callee's offset lives in the immediate
        return text_funcs[(imm + 1) * 8] if is_call else text_funcs[imm]
    return sym if sym in text_funcs.values() else None


# --- what the C sources say ---------------------------------------------
REACHES = {  # program -> subprograms it can reach (read off the C call graph)
    "multi_prog": {"xdp_first": {"add3"}, "xdp_second": {"add3"}, "sock_plain": set()},
    "nested": {"tc_outer": {"outer", "middle", "inner"}, "tc_middle": {"middle", "inner"}},
    "optional": {"maybe_xdp": set(), "maybe_tc": set(), "always_xdp": set()},
    "globals": {"use_globals": {"bump"}},
    "btf_maps": {"count_open": set()},
    "legacy_map": {"old_style": set()},
    "kfunc": {"newtask": {"locked"}},
    "callback": {"loop_twice": {"step", "stop_early", "square"}},
    "global_func": {"gx": {"gfunc_a", "gfunc_b", "helper_static"}, "gs": {"gfunc_b"}},
    "recursion_order": {"order": {"s_a", "s_b", "s_c", "s_d"}},
    "recursive": {"bounce": {"ping", "pong"}},
    "sections": {n: set() for n in ("kp", "krp", "up", "tp", "rtp", "fe", "fx", "ls", "cls", "tcp",
                                    "cgi", "pe", "sc", "skm", "it")},
}

# From the libbpf documentation table "Program Types and ELF Sections".
DOC_TYPES = {
    "kprobe/do_unlinkat": "kprobe", "kretprobe/do_unlinkat": "kprobe", "uprobe": "kprobe",
    "tracepoint/sched/sched_switch": "tracepoint", "raw_tracepoint/sys_enter": "raw_tracepoint",
    "fentry/do_unlinkat": "tracing", "fexit/do_unlinkat": "tracing", "lsm/file_open": "lsm",
    "classifier": "sched_cls", "tc": "sched_cls", "cgroup_skb/ingress": "cgroup_skb",
    "perf_event": "perf_event", "syscall": "syscall", "sk_msg": "sk_msg", "iter/task": "tracing",
    "xdp": "xdp", "?xdp": "xdp", "?tc": "sched_cls", "socket": "socket_filter",
    "tp_btf/task_newtask": "tracing",
    "tracepoint/syscalls/sys_enter_openat": "tracepoint", "kprobe/do_sys_open": "kprobe",
}


def test_corpus_is_large_enough():
    assert len(SOURCES) >= 10
    assert set(SOURCES) == set(REACHES)


@pytest.mark.parametrize("stem", SOURCES)
def test_programs_are_global_funcs_outside_text(objs, stem):
    elf, obj = readelf(objs[stem]), load(objs[stem])
    expected = sorted(
        ((s["Section"]["Value"], s["Value"]), s["Name"]["Name"], sec_name(elf, s))
        for s in elf["symbols"]
        if s["Type"]["Value"] == 2 and sec_name(elf, s) != ".text" and is_exec(elf, sec_name(elf, s)))
    got = [(p.name, p.section) for p in obj.programs]
    assert got == [(name, sec) for _, name, sec in expected]
    assert {p.name for p in obj.programs} == set(REACHES[stem])
    for p in obj.programs:
        assert p.type == DOC_TYPES[p.section], p.section
        assert p.autoload == (not p.section.startswith("?"))
    text = sorted((s["Value"], s["Name"]["Name"]) for s in elf["symbols"]
                  if s["Type"]["Value"] == 2 and sec_name(elf, s) == ".text")
    assert [(f.sec_offset, f.name) for f in obj.subprograms] == text


def test_multiple_programs_in_one_section_and_optional(objs):
    multi = load(objs["multi_prog"])
    assert [p.name for p in multi.programs if p.section == "xdp"] == ["xdp_first", "xdp_second"]
    assert [p.sec_offset for p in multi.programs if p.section == "xdp"][0] == 0
    opt = load(objs["optional"])
    assert {p.name: p.autoload for p in opt.programs} == {"maybe_xdp": False, "maybe_tc": False,
                                                          "always_xdp": True}


@pytest.mark.parametrize("stem", SOURCES)
def test_linked_layout(objs, objdump22, stem):
    """Each program holds its own code plus exactly the subprograms it reaches, byte-exact
    except for relocated slots, and every call lands on the start of the named callee."""
    elf, dis, obj = readelf(objs[stem]), objdump(objdump22, objs[stem]), load(objs[stem])
    for p in obj.programs:
        funcs = p.functions
        assert {f.name for f in funcs[1:]} == REACHES[stem][p.name]
        assert len({f.name for f in funcs}) == len(funcs)
        assert sum(f.length for f in funcs) == len(p.insns)
        starts = {f.start: f for f in funcs}
        for f in funcs:
            assert funcs_by_section(elf)[f.section][f.sec_offset] == f.name
            for k in range(f.length):
                off = f.sec_offset + k * 8
                orig = dis[f.section]["insns"][off // 8]
                linked = p.insns[f.start + k]
                rewritten = off in dis[f.section]["rels"] or (orig[0] == 0x85 and orig[1] >> 4 == 1)
                if not rewritten and not (k and p.insns[f.start + k - 1].code == op.LD_IMM64
                                          and off - 8 in dis[f.section]["rels"]):
                    assert linked.encode() == orig, (p.name, f.name, k)
                assert linked.code == orig[0]
                callee = expected_callee(elf, dis, f.section, off)
                if callee is None:
                    continue
                target = f.start + k + linked.imm + 1
                assert target in starts and starts[target].name == callee, (p.name, f.name, k)
                assert linked.src == (op.PSEUDO_CALL if orig[0] == 0x85 else op.PSEUDO_FUNC)


@pytest.mark.parametrize("stem", SOURCES)
def test_relocations_match_objdump(objs, objdump22, stem):
    elf, dis, obj = readelf(objs[stem]), objdump(objdump22, objs[stem]), load(objs[stem])
    sym_sec = {s["Name"]["Name"]: sec_name(elf, s) for s in elf["symbols"]}
    for p in obj.programs:
        want = set()
        for f in p.functions:
            for off, (rtype, sym) in dis[f.section]["rels"].items():
                if f.sec_offset <= off < f.sec_offset + f.length * 8:
                    want.add((f.section, off, rtype, sym))
        got = {(r.reloc.section, r.reloc.offset, r.reloc.type_name, r.reloc.symbol.name or r.reloc.symbol.section)
               for r in p.relocs if r.reloc}
        assert got == want, p.name
        for r in p.relocs:
            f = next(f for f in p.functions if f.start <= r.insn < f.start + f.length)
            linked = p.insns[r.insn]
            if r.reloc:
                assert f.section == r.reloc.section and f.sec_offset + (r.insn - f.start) * 8 == r.reloc.offset
                where = sym_sec.get(r.reloc.symbol.name) if r.reloc.symbol.name else r.reloc.symbol.section
                expected_kind = {None: "kfunc" if linked.code == 0x85 else "ksym", ".maps": "map",
                                 "maps": "map"}.get(where)
                if where == ".text":
                    expected_kind = "subprog" if linked.code == 0x85 else "func_addr"
                elif where and re.match(r"\.(data|bss|rodata)", where):
                    expected_kind = "data"
                assert r.kind == expected_kind, (p.name, r)
            else:
                assert r.kind in ("helper", "subprog")
            if r.kind == "helper":
                assert linked.code == 0x85 and linked.src == 0 and r.helper_id == linked.imm
            if r.kind == "kfunc":
                assert linked.src == op.PSEUDO_KFUNC_CALL


def test_helper_calls_are_listed(objs, objdump22):
    dis, obj = objdump(objdump22, objs["btf_maps"]), load(objs["btf_maps"])
    sec = "tracepoint/syscalls/sys_enter_openat"
    helper_slots = [i for i, raw in dis[sec]["insns"].items() if raw[0] == 0x85 and raw[1] == 0]
    prog = obj.programs[0]
    assert [r.insn for r in prog.relocs if r.kind == "helper"] == helper_slots
    # btf_maps.c calls lookup, update, lookup
    assert [r.helper_id for r in prog.relocs if r.kind == "helper"] == [1, 2, 1]


def test_btf_maps(objs):
    elf, obj = readelf(objs["btf_maps"]), load(objs["btf_maps"])
    want = sorted((s["Value"], s["Name"]["Name"], s["Size"]) for s in elf["symbols"]
                  if sec_name(elf, s) == ".maps" and s["Type"]["Value"] == 1)
    assert [(m.offset, m.name, m.size) for m in obj.maps] == want
    assert {m.name for m in obj.maps} == {"counts", "seen", "inner_a", "inner_b", "outer"}
    assert obj.legacy_maps == []
    prog = obj.programs[0]
    for r in prog.relocs:
        if r.kind == "map":
            ins = prog.insns[r.insn]
            assert ins.src == op.PSEUDO_MAP_IDX and obj.map_table[ins.imm].name == r.name
            assert r.name == r.reloc.symbol.name
    assert sorted(r.name for r in prog.relocs if r.kind == "map") == ["counts", "outer", "seen"]
    # .rel.maps holds the map-in-map initialisers: kept as data relocations, not code
    assert [(r.offset, r.type_name, r.symbol.name) for r in obj.relocations[".maps"]] == \
        elf["rels"][".maps"]
    assert [r.symbol.name for r in obj.relocations[".maps"]] == ["inner_a", "inner_b"]
    assert ".BTF" not in obj.relocations and ".BTF.ext" not in obj.relocations


def test_legacy_map(objs):
    elf, obj = readelf(objs["legacy_map"]), load(objs["legacy_map"])
    (sym,) = [s for s in elf["symbols"] if sec_name(elf, s) == "maps" and s["Type"]["Value"] == 1]
    (m,) = obj.legacy_maps
    assert (m.name, m.offset, m.size, m.kind) == (sym["Name"]["Name"], sym["Value"], sym["Size"], "legacy")
    # struct legacy_def in the C source: type=BPF_MAP_TYPE_ARRAY(2), key 4, value 8, max 1, flags 0
    assert m.data == b"".join(v.to_bytes(4, "little") for v in (2, 4, 8, 1, 0))
    (r,) = [r for r in obj.programs[0].relocs if r.kind == "map"]
    assert obj.map_table[r.map_index].name == "old_map"


def test_global_data(objs):
    elf, obj = readelf(objs["globals"]), load(objs["globals"])
    want = {s["Name"]["Name"]: (s["Size"], s["Type"]["Name"]) for s in elf["sections"].values()
            if re.fullmatch(r"\.(data|bss|rodata)(\..*)?", s["Name"]["Name"])}
    got = {d.name: d for d in obj.data_sections}
    assert set(got) == set(want)
    for name, (size, stype) in want.items():
        assert got[name].size == size
        assert (got[name].data is None) == (stype == "SHT_NOBITS")
    assert got[".data"].data == (7).to_bytes(4, "little")          # int counter = 7;
    assert got[".rodata"].data == (3).to_bytes(4, "little")        # threshold = 3;
    assert b"hello, globals\0" in b"".join(d.data or b"" for d in obj.data_sections)
    values = {s["Name"]["Name"]: (sec_name(elf, s), s["Value"]) for s in elf["symbols"]}
    prog = obj.program("use_globals")
    seen = set()
    for r in prog.relocs:
        if r.kind != "data":
            continue
        first, second = prog.insns[r.insn], prog.insns[r.insn + 1]
        assert first.src == op.PSEUDO_MAP_IDX_VALUE
        assert obj.map_table[first.imm].name == r.name
        sym = r.reloc.symbol
        if sym.name and sym.name in values:  # named global: section and offset from the symbol table
            sec, value = values[sym.name]
            assert (r.name, r.offset, second.imm) == (sec, value, value)
            seen.add(sym.name)
    assert seen == {"counter", "total", "scratch", "threshold"}


def test_kfunc_externs(objs, objdump22):
    elf, dis, obj = readelf(objs["kfunc"]), objdump(objdump22, objs["kfunc"]), load(objs["kfunc"])
    und = {s["Name"]["Name"]: s["Binding"]["Name"] for s in elf["symbols"]
           if s["Section"]["Value"] == 0 and s["Binding"]["Name"] in ("Global", "Weak")}
    called = {sym for sec in dis.values() for off, (rtype, sym) in sec["rels"].items()
              if rtype == "R_BPF_64_32" and sym in und}
    loaded = {sym for sec in dis.values() for off, (rtype, sym) in sec["rels"].items()
              if rtype == "R_BPF_64_64" and sym in und}
    # kfunc.c declares four kfuncs, one weak kfunc and one typed ksym variable
    assert called == {"bpf_task_acquire", "bpf_task_release", "bpf_rcu_read_lock",
                      "bpf_rcu_read_unlock", "bpf_cgroup_release"}
    assert loaded == {"bpf_prog_active", "bpf_cgroup_release"}
    assert {e.name for e in obj.externs} == set(und)
    assert {e.name: e.weak for e in obj.externs} == {n: b == "Weak" for n, b in und.items()}
    assert {e.name: e.kind for e in obj.externs} == {
        n: "kfunc" if n in called else "ksym" for n in und}
    prog = obj.program("newtask")
    assert sorted(r.name for r in prog.relocs if r.kind == "kfunc") == sorted(called)
    assert sorted(r.name for r in prog.relocs if r.kind == "ksym") == sorted(loaded)
    # The kfunc calls of the subprogram `locked` travel with it into the linked program.
    locked = prog.subprograms[0]
    assert {r.name for r in prog.relocs if r.kind == "kfunc" and r.insn >= locked.start} == \
        {"bpf_rcu_read_lock", "bpf_rcu_read_unlock"}


def test_callbacks_become_pseudo_func(objs):
    obj = load(objs["callback"])
    prog = obj.program("loop_twice")
    cbs = [r for r in prog.relocs if r.kind == "func_addr"]
    assert [r.name for r in cbs] == ["step", "stop_early"]  # source order of the bpf_loop calls
    starts = {f.name: f.start for f in prog.functions}
    for r in cbs:
        ins = prog.insns[r.insn]
        assert ins.src == op.PSEUDO_FUNC and r.insn + ins.imm + 1 == starts[r.name]


def test_license_and_raw_sections(objs, tmp_path):
    tool = shutil.which("llvm-objcopy-22")
    if not tool:
        pytest.skip("llvm-objcopy-22 not installed")
    for stem in ("kfunc", "globals", "callback"):
        obj = load(objs[stem])
        dumps = {}
        for sec in (".BTF", ".BTF.ext", "license"):
            dst = tmp_path / f"{stem}{sec.replace('/', '_')}"
            subprocess.run([tool, "--dump-section", f"{sec}={dst}", str(objs[stem]), str(tmp_path / "junk")],
                           check=True, capture_output=True)
            dumps[sec] = dst.read_bytes()
        assert obj.btf == dumps[".BTF"] and obj.btf_ext == dumps[".BTF.ext"]
        assert obj.license == dumps["license"].rstrip(b"\0").decode() == "GPL"


# --- the kernel (through libbpf) as the oracle for the linked layout -----
# optional.o is left out: bpftool 7.1 tries to pin its autoload=false programs and fails.
# kfunc.o is left out: libbpf checks the kfunc prototypes against this kernel's BTF.
KERNEL_OBJS = ("nested", "recursion_order", "multi_prog", "global_func", "globals", "callback",
               )


def _bpftool_json(*args):
    res = subprocess.run(["bpftool", "-j", *args], capture_output=True, text=True)
    if res.returncode:
        return None
    return json.loads(res.stdout)


@pytest.mark.parametrize("stem", KERNEL_OBJS)
def test_kernel_layout(objs, bpftool, stem):
    """libbpf's linked program, as the kernel reports it, has our layout: same functions in
    the same order at the same slots, same call targets, same length (these programs hit no
    kernel rewrite that changes instruction counts, except bpf_loop inlining in callback)."""
    if os.geteuid() != 0 or not Path("/sys/fs/bpf").is_dir():
        pytest.skip("needs root and bpffs")
    pin = Path(f"/sys/fs/bpf/stackargs_loader_{os.getpid()}_{stem}")
    res = subprocess.run([bpftool, "prog", "loadall", str(objs[stem]), str(pin)],
                         capture_output=True, text=True)
    try:
        if res.returncode:
            pytest.skip(f"kernel refused {stem}: {res.stderr.strip().splitlines()[-1:]}")
        obj = load(objs[stem])
        pinned = sorted(os.listdir(pin))
        assert pinned == sorted(p.name for p in obj.programs if p.autoload)
        for name in pinned:
            prog = obj.program(name)
            info = _bpftool_json("prog", "show", "pinned", str(pin / name))
            assert info["type"] == prog.type
            xl = _bpftool_json("prog", "dump", "xlated", "pinned", str(pin / name))
            slots, protos, calls = 0, [], []
            for entry in xl:
                if "proto" in entry:
                    protos.append((re.search(r"(\w+)\(", entry["proto"]).group(1), slots))
                m = re.match(r"\((85)\) call pc([+-]\d+)", entry["disasm"])
                if m:
                    calls.append((slots, slots + int(m.group(2)) + 1))
                slots += 2 if entry["disasm"].startswith("(18)") else 1
            ours = [(f.name, f.start) for f in prog.functions]
            if stem == "callback":  # bpf_loop is inlined by the kernel: compare order only
                assert [n for n, _ in protos] == [n for n, _ in ours]
                continue
            assert protos == ours
            assert slots == len(prog.insns)
            our_calls = [(i, i + ins.imm + 1) for i, ins in enumerate(prog.insns)
                         if ins.code == 0x85 and ins.src == op.PSEUDO_CALL]
            assert calls == our_calls
    finally:
        subprocess.run(["rm", "-rf", str(pin)], check=False)
