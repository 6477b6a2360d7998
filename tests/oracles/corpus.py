"""The verifier corpus: enumerate, build and kernel-load the programs in
``tests/data/verifier_corpus``.

Each program is one file, ``*.c`` (libbpf-style C, clang-22 -O2 -g) or ``*.s`` (LLVM BPF
assembler, assembled by clang-22). Its leading ``//`` comment block declares the intent::

    // intent: accept | reject
    // expect: <substring the kernel's log must contain>   (required for reject)
    // prog: <function or section name>                     (optional; default: first program)
    // retval: <int>          (optional, accept only: BPF_PROG_TEST_RUN result on `data`)
    // data: <hex bytes>      (optional; default DEFAULT_PACKET)
    // map: NAME TYPE KEY VALUE MAX      (asm only, repeatable: an LD_IMM64 relocation
    //                                    against NAME becomes a reference to this map)
    // license: <string>      (asm only; default GPL. C programs have SEC("license"))
    // about: <free text>

Asm programs are loaded raw (section bytes + map relocations, no BTF); keep every
function of an asm program in one section so BPF-to-BPF calls are resolved by the
assembler. C programs go through libbpf (see oracles.kernel.load_object).

The header is the corpus author's claim; tests check it against the live kernel, and the
future verifier tests compare our verdict with the kernel's on every entry.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent.parent / "data" / "verifier_corpus"
C_INCLUDE = ["-I/usr/include/x86_64-linux-gnu"]   # C: <asm/types.h> on Debian multiarch

# Section-name prefix -> kernel prog type, following libbpf's SEC() conventions.
SECTION_PROG_TYPES = [
    ("socket", "socket_filter"),
    ("tc", "sched_cls"),
    ("classifier", "sched_cls"),
    ("action", "sched_act"),
    ("xdp", "xdp"),
    ("cgroup_skb/", "cgroup_skb"),
    ("kprobe/", "kprobe"),
    ("tracepoint/", "tracepoint"),
    ("tp/", "tracepoint"),
    ("raw_tp/", "raw_tracepoint"),
    ("perf_event", "perf_event"),
]

# Ethernet + IPv4 + TCP, 64 bytes: what runnable programs see unless they declare `data:`.
DEFAULT_PACKET = bytes.fromhex(
    "ffffffffffff" "020000000001" "0800"                        # eth: dst, src, IPv4
    "4500003200004000" "40060000" "0a000001" "0a000002"       # ipv4 (len 50, TCP)
    "1f90" "0050" "00000001" "00000000" "5002ffff" "00000000"  # tcp 8080 -> 80, SYN
) + bytes(10)

_HEADER = re.compile(r"^\s*//\s*([a-z_]+)\s*:\s*(.*?)\s*$")


class CorpusError(ValueError):
    """A corpus file whose header is malformed."""


@dataclass(frozen=True)
class MapSpec:
    name: str
    map_type: str
    key_size: int
    value_size: int
    max_entries: int


@dataclass(frozen=True)
class CorpusEntry:
    path: Path
    kind: str                     # "c" | "asm"
    section: str                  # ELF section holding the program
    prog: str | None              # function/section name to load (None: the first)
    prog_type: str                # key of oracles.kernel.PROG_TYPES
    intent: str                   # "accept" | "reject"
    expect: str | None            # kernel log substring (reject)
    retval: int | None = None
    data: bytes = DEFAULT_PACKET
    maps: tuple[MapSpec, ...] = field(default_factory=tuple)
    about: str = ""
    license: str = "GPL"

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def runnable(self) -> bool:
        return self.intent == "accept" and self.retval is not None


def prog_type_for_section(section: str) -> str:
    for prefix, ptype in SECTION_PROG_TYPES:
        if section == prefix or section.startswith(prefix):
            return ptype
    raise CorpusError(f"no prog type known for section {section!r}")


def _header(text: str) -> list[tuple[str, str]]:
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        m = _HEADER.match(line)
        if not m:
            if line.lstrip().startswith("//"):
                continue          # free comment inside the header block
            break
        out.append((m.group(1), m.group(2)))
    return out


_NOT_PROGRAMS = ("license", "version", "maps")


def _section_of(kind: str, text: str, prog: str | None) -> str:
    if kind == "asm":
        m = re.search(r'^\s*\.section\s+([^,\s]+)', text, re.M)
        if not m:
            raise CorpusError("cannot find the program's .section")
        return m.group(1)
    if prog:
        m = re.search(r'SEC\("([^"]+)"\)[^;{}]*?\b' + re.escape(prog) + r'\s*\(', text)
        if m:
            return m.group(1)
        if re.search(r'SEC\("' + re.escape(prog) + r'"\)', text):
            return prog
        raise CorpusError(f"no program {prog!r}")
    names = [n for n in re.findall(r'SEC\("([^"]+)"\)', text)
             if not n.startswith(".") and n not in _NOT_PROGRAMS]
    if not names:
        raise CorpusError("cannot find a SEC(\"...\") program")
    return names[0]


def parse_entry(path: Path) -> CorpusEntry:
    text = path.read_text()
    kind = {".c": "c", ".s": "asm"}.get(path.suffix)
    if kind is None:
        raise CorpusError(f"{path.name}: unknown corpus file kind")
    fields = _header(text)
    keys = dict(fields)
    intent = keys.get("intent")
    if intent not in ("accept", "reject"):
        raise CorpusError(f"{path.name}: header needs 'intent: accept|reject'")
    expect = keys.get("expect") or None
    if intent == "reject" and not expect:
        raise CorpusError(f"{path.name}: a rejected program needs 'expect: <log substring>'")
    retval = int(keys["retval"], 0) if "retval" in keys else None
    if retval is not None and intent != "accept":
        raise CorpusError(f"{path.name}: retval only makes sense for accepted programs")
    data = bytes.fromhex(keys["data"].replace(" ", "")) if "data" in keys else DEFAULT_PACKET
    maps = []
    for key, value in fields:
        if key == "map":
            parts = value.split()
            if len(parts) != 5:
                raise CorpusError(f"{path.name}: 'map: NAME TYPE KEY VALUE MAX', got {value!r}")
            maps.append(MapSpec(parts[0], parts[1], *(int(p, 0) for p in parts[2:])))
    if (maps or "license" in keys) and kind != "asm":
        raise CorpusError(f"{path.name}: 'map:'/'license:' lines are for asm; C has .maps/license")
    try:
        section = _section_of(kind, text, keys.get("prog"))
        ptype = prog_type_for_section(section)
    except CorpusError as exc:
        raise CorpusError(f"{path.name}: {exc}") from None
    return CorpusEntry(path=path, kind=kind, section=section, prog=keys.get("prog"),
                       prog_type=ptype, intent=intent, expect=expect, retval=retval,
                       data=data, maps=tuple(maps), about=keys.get("about", ""),
                       license=keys.get("license", "GPL"))


def iter_corpus(directory: Path = CORPUS_DIR) -> list[CorpusEntry]:
    """Every corpus program, sorted by file name."""
    return [parse_entry(p) for p in sorted(directory.iterdir()) if p.suffix in (".c", ".s")]


# --- building ---------------------------------------------------------------------------

def find_clang() -> str | None:
    return shutil.which("clang-22")


def build(entry: CorpusEntry, outdir: Path, clang: str | None = None) -> Path:
    """Compile (C) or assemble (asm) the entry into ``outdir``; returns the object path."""
    clang = clang or find_clang()
    if clang is None:
        raise RuntimeError("clang-22 not found")
    out = Path(outdir) / (entry.path.stem + ".o")
    if entry.kind == "c":
        cmd = [clang, "--target=bpf", "-g", "-O2", *C_INCLUDE, "-c", str(entry.path), "-o", str(out)]
    else:
        cmd = [clang, "--target=bpf", "-c", str(entry.path), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{entry.name}: {' '.join(cmd)} failed:\n{proc.stderr}")
    return out


R_BPF_64_64 = 1


def raw_program(entry: CorpusEntry, obj: Path) -> tuple[bytes, dict[int, str]]:
    """An asm entry's instruction bytes and its map references {insn index: map name}."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.relocation import RelocationSection

    with open(obj, "rb") as f:
        elf = ELFFile(f)
        index = next((i for i, s in enumerate(elf.iter_sections()) if s.name == entry.section), None)
        if index is None:
            raise CorpusError(f"{entry.name}: no section {entry.section!r} in {obj}")
        code = elf.get_section(index).data()
        refs: dict[int, str] = {}
        symtab = elf.get_section_by_name(".symtab")
        for rs in elf.iter_sections():
            if not isinstance(rs, RelocationSection) or rs["sh_info"] != index:
                continue
            for rel in rs.iter_relocations():
                sym = symtab.get_symbol(rel["r_info_sym"])
                if rel["r_info_type"] != R_BPF_64_64:
                    raise CorpusError(f"{entry.name}: unsupported relocation type "
                                      f"{rel['r_info_type']} against {sym.name}")
                refs[rel["r_offset"] // 8] = sym.name
    return code, refs


def kernel_load(entry: CorpusEntry, obj: Path, log_level: int = 1):
    """Load a built entry into the running kernel; returns oracles.kernel.LoadResult."""
    from . import kernel

    if entry.kind == "c":
        return kernel.load_object(obj, entry.prog, log_level=log_level)
    code, refs = raw_program(entry, obj)
    maps = {m.name: kernel.map_create(m.map_type, m.key_size, m.value_size, m.max_entries, m.name)
            for m in entry.maps}
    try:
        missing = set(refs.values()) - set(maps)
        if missing:
            raise CorpusError(f"{entry.name}: no 'map:' header for {sorted(missing)}")
        code = kernel.relocate_map_refs(code, {i: maps[n].fd for i, n in refs.items()})
        return kernel.prog_load(code, entry.prog_type, entry.license, log_level=log_level,
                                name=entry.path.stem)
    finally:
        # The loaded program holds its own references to the maps it uses.
        for m in maps.values():
            m.close()


# --- judging an entry against the kernel -------------------------------------------------

@dataclass
class KernelVerdict:
    """What the kernel said about one corpus entry (no fds kept)."""

    accepted: bool
    errno: int
    error_line: str                  # the kernel's verdict line ("" when accepted)
    log: str
    log_truncated: bool = False
    verified_insns: int | None = None
    xlated_insns: int | None = None
    retval: int | None = None        # BPF_PROG_TEST_RUN result when the entry declares one
    loader_error: str = ""           # set when the loader failed before the verifier ran
    insns: bytes = b""               # instructions as handed to the kernel (map fds inside)
    problems: list[str] = field(default_factory=list)   # disagreements with the header


def judge(entry: CorpusEntry, obj: Path, log_level: int = 1) -> KernelVerdict:
    """Load ``entry`` into the kernel and compare with its header: verdict, the declared
    substring in the kernel's closing message (reject), verified_insns > 0 and the declared
    retval (accept)."""
    from . import kernel

    with kernel_load(entry, obj, log_level=log_level) as res:
        v = KernelVerdict(res.accepted, res.errno, "" if res.accepted else res.error_line,
                          res.log, res.log_truncated, insns=res.insns)
        if not res.reached_kernel:
            v.loader_error = res.error or "loader failed"
            v.problems.append(f"loader failed before the verifier: {v.loader_error}")
            return v
        if entry.intent == "reject":
            if res.accepted:
                v.problems.append(f"kernel accepted a program declared to fail with {entry.expect!r}")
            elif entry.expect not in res.error_block:
                v.problems.append(f"declared {entry.expect!r}; kernel said {res.error_line!r}")
            return v
        if not res.accepted:
            v.problems.append(f"declared accept; kernel rejected: {res.error_line!r}")
            return v
        info = kernel.prog_info(res.fd)
        v.verified_insns, v.xlated_insns = info.verified_insns, info.xlated_prog_len // 8
        if info.verified_insns <= 0:
            v.problems.append("kernel reports verified_insns == 0")
        if entry.retval is not None:
            v.retval = kernel.prog_test_run(res.fd, entry.data).retval
            if v.retval != entry.retval & 0xFFFFFFFF:
                v.problems.append(f"declared retval {entry.retval}; test run returned {v.retval}")
    return v


def main(argv: list[str] | None = None) -> int:
    """``cd tests && python -m oracles.corpus [SUBSTRING...]``: ask the kernel about the
    corpus (or the entries whose name contains a SUBSTRING) and print one line each."""
    import sys
    import tempfile

    from . import kernel

    args = sys.argv[1:] if argv is None else argv
    ok, why = kernel.kernel_available()
    if not ok:
        print(f"kernel unavailable: {why}")
        return 2
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for entry in iter_corpus():
            if args and not any(a in entry.name for a in args):
                continue
            v = judge(entry, build(entry, Path(tmp)))
            said = f"accept insns={v.verified_insns}" if v.accepted else f"reject: {v.error_line}"
            mark = "ok " if not v.problems else "BAD"
            bad += bool(v.problems)
            print(f"{mark} {entry.name:45} {said}" + "".join(f"\n    {p}" for p in v.problems))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
