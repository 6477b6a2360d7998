"""Static checks of a compiled BPF object against the stack-argument ABI (DESIGN §3).

:func:`check_bytes` / :func:`check_file` read an ELF object (:mod:`isa.elf`), decode
every executable section (:mod:`isa`), take function prototypes from its BTF
(:mod:`btf`) and report :class:`Finding` s under these rules:

``r11-shape``
    Only three instruction shapes may name register 11: ``*(u64 *)(r11 - 8k) = rX``
    (STX|MEM|DW), ``*(u64 *)(r11 - 8k) = imm`` (ST|MEM|DW) and ``rX = *(u64 *)(r11 + 8k)``
    (LDX|MEM|DW), k = 1..7.  Anything else naming r11 (ALU, other sizes or modes,
    atomics, offsets that are zero, misaligned, of the wrong sign or past slot 7)
    is a finding.  This rule looks at every instruction of every code section.
``call-slots``
    Between the previous call (or the function's start) and a call, the r11 stores
    on the path write exactly slots 1..n, each once, where n is what the callee's BTF
    prototype needs: ``pieces - 5`` with one piece per parameter and two for a 9..16
    byte value.  The callee's prototype is the BTF FUNC that .BTF.ext func_info puts
    at the call target (subprograms) or the extern FUNC named by the call's relocation
    (kfuncs, declared in ``.ksyms``).  Helpers and indirect calls take no stack
    arguments.  Stores that reach ``exit`` without a call are findings too.
``load-order``
    Every incoming ``rX = *(u64 *)(r11 + 8k)`` comes before any call or r11 store on
    every path from the function's start.
``load-range``
    A function never loads a slot beyond its own BTF prototype's stack-slot count.

Besides findings, the report describes each function (:class:`FunctionReport`: BTF argument
and stack-slot counts, the subprograms it calls or takes the address of), which is what
``pipeline build`` prints, so the object just written is read once.

The last three rules are checked per path over the function's control-flow graph:
a worklist explores (instruction, abstract state) pairs, where the state is how
often each outgoing slot was stored since the last call plus whether a call or
store has happened yet.  Both parts are finite, so loops terminate; a store on
only one arm of a branch is caught where the arms meet a call.  Indirect jumps do
not exist in BPF, so the graph is exact; ``may_goto`` counts as a two-way branch.
Limitation: paths are not checked for feasibility (no value tracking), so code that
stores a slot under one condition and calls under the same condition is reported;
compilers do not emit that shape for stack arguments (stores sit in the call's block).
Helpers (``call N``) and indirect calls (``callx``) are taken to need no slots.

Prototype arithmetic comes from :mod:`btf.funcs` (``stack_arg_cnt``), the
kernel-model code the verifier uses, so the toolchain and the verifier count
the same way.  ``toolchain`` may import ``btf`` (which imports only ``isa``); it is
still imported lazily, inside the functions that need it, so that only the ``check``
orchestration command (:mod:`toolchain.check`) and the compile driver's self-check
(:func:`toolchain.driver.self_check_object`, which gates the rules r11-shape, call-slots,
load-order and load-range) pay for it.

Problems reading the object (not ELF, no code, bad BTF) are findings of rule
``object``; nothing here raises on bad input.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from isa import Insn, decode
from isa import opcodes as op
from isa import stack_args as sa
from isa.elf import SHF_EXECINSTR, SHN_LORESERVE, ObjectError, RawSection, read_elf
from isa.insn import opcode_problem

R11 = sa.PARAMS
MAX_STATES = 200_000                     # (insn, state) pairs explored per function


@dataclass(frozen=True)
class Finding:
    rule: str                 # r11-shape | call-slots | load-order | load-range | btf | cfg | isa | object
    message: str
    section: str | None = None
    function: str | None = None
    insn: int | None = None   # instruction index inside the section

    def __str__(self) -> str:
        where = ""
        if self.section is not None:
            where = f"{self.function or self.section}"
            if self.insn is not None:
                where += f" insn {self.insn}"
            where += ": "
        return f"[{self.rule}] {where}{self.message}"


@dataclass(frozen=True)
class CallSite:
    insn: int                 # index inside the section
    kind: str                 # subprog | kfunc | helper | indirect
    callee: str
    slots: int | None         # stack slots the callee's prototype needs (None: unknown)


@dataclass
class FunctionReport:
    name: str
    section: str
    start: int                # first instruction index inside the section
    length: int               # instructions (8-byte slots)
    stack_slots: int | None   # own incoming stack slots per BTF (None: no prototype)
    calls: list[CallSite] = field(default_factory=list)
    r11_stores: int = 0       # legal-shaped stores (static count)
    r11_loads: int = 0        # legal-shaped loads (static count)
    states: int = 0           # (insn, state) pairs the path walk visited
    # BTF argument count and incoming stack slots as pipeline.Function counts them (None: none)
    args: int | None = None
    arg_stack_slots: int | None = None
    # the .text functions this one calls or takes the address of, in instruction order
    # (what libbpf appends to a program: bpf_object__reloc_code)
    refs: list[str] = field(default_factory=list)


@dataclass
class ObjectReport:
    path: str
    functions: list[FunctionReport] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_json(self) -> dict:
        return {"path": self.path, "ok": self.ok,
                "functions": [asdict(f) for f in self.functions],
                "findings": [asdict(f) for f in self.findings]}


# ------------------------------------------------------------------ r11 shapes

def r11_shape(insn: Insn) -> tuple[str, int] | str | None:
    """Classify an instruction's use of r11.

    Returns None if it does not name r11, ``("store", k)`` / ``("load", k)`` for
    the legal shapes, or a one-line reason why the use is illegal.
    """
    if not sa.touches_r11(insn):
        return None
    cls, code = insn.cls, insn.code
    legal = "legal: *(u64 *)(r11 - 8k) = rX|imm, rX = *(u64 *)(r11 + 8k), k = 1..7"
    if cls in (op.ALU, op.ALU64):
        return f"ALU instruction on r11 ({legal})"
    if cls in (op.JMP, op.JMP32):
        return f"jump/call instruction names r11 ({legal})"
    if cls == op.LD:
        return f"LD instruction names r11 ({legal})"
    mode, size = op.mem_mode(code), op.mem_size(code)
    if cls == op.LDX:
        if insn.dst == R11:
            return f"load into r11 ({legal})"
        want, what = "load", "load from"
    else:                                                     # ST / STX
        if cls == op.STX and mode == op.ATOMIC:
            return f"atomic instruction on r11 ({legal})"
        if insn.src == R11:
            return f"r11 stored as a value ({legal})"
        want, what = "store", "store to"
    if mode != op.MEM:
        return f"{what} r11 in a non-MEM mode ({legal})"
    if size != op.DW:
        width = {op.W: 32, op.H: 16, op.B: 8}.get(size, "?")
        return f"{width}-bit {what} r11: stack-argument accesses are 64-bit ({legal})"
    k = sa.offset_slot(insn.off, incoming=want == "load")
    if k is None or k > sa.MAX_SLOTS:
        return f"{what} r11 at offset {insn.off:+d} ({legal})"
    return want, k


# ------------------------------------------------------------------ ELF reading

@dataclass
class _Reloc:
    sym_name: str
    sym_value: int
    sym_shndx: int | None     # None: undefined (extern); -1: special index (ABS, COMMON)
    type: int


@dataclass
class _Section:
    index: int
    name: str
    insns: list[Insn]
    relocs: dict[int, _Reloc]                  # byte offset -> relocation


@dataclass
class _Func:
    name: str
    sec: _Section
    start: int
    end: int                                   # exclusive


def _read_elf(data: bytes, name: str, findings: list[Finding]):
    """(code sections by index, FUNC symbols in them) from the checked ELF reader; a defect
    of the container is one ``object`` finding (and ``(None, None)``)."""
    try:
        raw = read_elf(data, name, want_rel=_is_code)
    except ObjectError as exc:
        findings.append(Finding("object", exc.message))
        return None, None
    sections: dict[int, _Section] = {}
    for sec in raw.sections:
        if not _is_code(sec):
            continue
        if len(sec.data) % 8:
            findings.append(Finding("object", f"code size {len(sec.data)} is not a multiple of 8",
                                    sec.name))
            continue
        sections[sec.index] = _Section(sec.index, sec.name, decode(sec.data), {})
    for index, rels in raw.rels.items():
        target = sections.get(index)
        if target is None:
            continue
        for rel in rels:
            sym = raw.symbols[rel.sym]
            shndx = None if sym.shndx == 0 else (-1 if sym.shndx >= SHN_LORESERVE else sym.shndx)
            target.relocs[rel.offset] = _Reloc(sym.name, sym.value, shndx, rel.type)
    funcs: list[_Func] = []
    for sym in raw.symbols:
        if sym.type != "FUNC" or sym.shndx not in sections:
            continue
        sec = sections[sym.shndx]
        value, size = sym.value, sym.size
        if value % 8 or size % 8 or not size or value + size > 8 * len(sec.insns):
            findings.append(Finding("object", f"function {sym.name} [{value:#x}, +{size:#x}) is "
                                    "empty, unaligned or outside its section", sec.name))
            continue
        funcs.append(_Func(sym.name, sec, value // 8, (value + size) // 8))
    funcs.sort(key=lambda f: (f.sec.index, f.start))
    return sections, funcs


def _is_code(sec: RawSection) -> bool:
    return bool(sec.flags & SHF_EXECINSTR and sec.size)


# ------------------------------------------------------------------ BTF prototypes

class _Protos:
    """Stack-slot counts from BTF: subprograms via func_info, kfuncs via extern FUNCs."""

    def __init__(self, data: bytes, name: str, findings: list[Finding]):
        import btf as btfmod

        self.btf = self.ext = None
        self.problem: str | None = None
        try:
            obj = btfmod.load_bytes(data, name)
            self.btf, self.ext = obj.btf, obj.ext
        except btfmod.BtfError as exc:
            self.problem = f"BTF unusable: {exc}"
            if "no .BTF section" not in str(exc):
                findings.append(Finding("object", self.problem))
        self._error = btfmod.BtfError

    def slots_of(self, func_id: int) -> tuple[int | None, str | None]:
        """(stack slots, problem) for the BTF FUNC ``func_id``."""
        from btf.funcs import func_arg_info

        try:
            # main=True: record (do not raise on) what the *kernel* would refuse in a
            # global function; the ABI question here is only how many slots it takes.
            return func_arg_info(self.btf, func_id, main=True).stack_arg_cnt, None
        except self._error as exc:
            return None, str(exc)

    def arg_count(self, section: str, insn: int) -> tuple[int | None, int | None]:
        """(arguments, stack slots) as pipeline.Object reports them for the function at
        ``section``:``insn`` (btf.funcs.subprog_at, the verifier's reading), or Nones."""
        if self.btf is None:
            return None, None
        from btf.funcs import subprog_at
        try:
            info = subprog_at(self.btf, self.ext, section, insn)
        except self._error:
            return None, None
        return info.arg_cnt, info.stack_arg_cnt

    def subprog(self, section: str, insn: int) -> tuple[str | None, int | None, str | None]:
        """(BTF name, stack slots, problem) of the function starting at ``section``:``insn``."""
        if self.btf is None:
            return None, None, self.problem or "no BTF"
        infos = self.ext.func_info.get(section, []) if self.ext is not None else []
        for fi in infos:
            if fi.insn == insn:
                try:
                    name = self.btf.type(fi.type_id).name
                except self._error as exc:
                    return None, None, str(exc)
                slots, problem = self.slots_of(fi.type_id)
                return name, slots, problem
        return None, None, f"no .BTF.ext func_info for {section} insn {insn}"

    def kfunc(self, name: str) -> tuple[int | None, str | None]:
        from btf import kinds as L

        if self.btf is None:
            return None, self.problem or "no BTF"
        cands = [t for t in self.btf.find(name, L.FUNC)]
        ext = [t for t in cands if t.vlen == 2]          # BTF_FUNC_EXTERN linkage
        if not ext:
            return None, f"no extern BTF FUNC '{name}' (kfuncs need an extern declaration " \
                         "in section .ksyms)"
        return self.slots_of(ext[0].id)


# ------------------------------------------------------------------ the checks

def _text(insns: list[Insn], i: int) -> str:
    raw = insns[i].encode().hex(" ")
    try:
        from isa.disasm import format_insn
        return f"{raw}: {format_insn(insns, i, strict=False)}"
    except Exception:  # noqa: BLE001 - the disassembler is a nicety for messages
        return raw


def _slot_range(n: int) -> str:
    if n == 0:
        return "no stack slots"
    return "slot 1 (r11-8)" if n == 1 else f"slots 1..{n} (r11-8..r11-{8 * n})"


class _FuncChecker:
    def __init__(self, func: _Func, funcs_at: dict, protos: _Protos, out: list[Finding]):
        self.f = func
        self.sec = func.sec
        self.insns = func.sec.insns
        self.funcs_at = funcs_at
        self.protos = protos
        self.out = out
        self.seen: set[tuple] = set()
        btf_name, slots, problem = protos.subprog(self.sec.name, func.start)
        self.report = FunctionReport(func.name, self.sec.name, func.start, func.end - func.start,
                                     slots)
        self.report.args, self.report.arg_stack_slots = protos.arg_count(self.sec.name,
                                                                         func.start)
        self.own_problem = problem
        if btf_name is not None and btf_name != func.name:
            self.add("btf", None, f"func_info names '{btf_name}' for symbol '{func.name}'")
        self.calls: dict[int, CallSite] = {}

    def add(self, rule: str, insn: int | None, message: str) -> None:
        key = (rule, insn, message)
        if key not in self.seen:
            self.seen.add(key)
            self.out.append(Finding(rule, message, self.sec.name, self.f.name, insn))

    # -- one pass over the instructions: shapes, call sites, successors ----------
    def scan(self) -> dict[int, list[int]] | None:
        succ: dict[int, list[int]] = {}
        i = self.f.start
        ok = True
        while i < self.f.end:
            insn = self.insns[i]
            problem = opcode_problem(insn)
            if problem:
                self.add("isa", i, f"invalid instruction {_text(self.insns, i)} ({problem})")
                ok = False
            if max(insn.dst, insn.src) > R11:
                self.add("isa", i, f"invalid register number in {_text(self.insns, i)}")
            shape = r11_shape(insn)
            if isinstance(shape, str):
                self.add("r11-shape", i, f"{_text(self.insns, i)}: {shape}")
            elif shape is not None:
                if shape[0] == "store":
                    self.report.r11_stores += 1
                else:
                    self.report.r11_loads += 1
            nxt = i + (2 if insn.is_ld_imm64 else 1)
            succ[i] = self._successors(i, insn, nxt)
            if insn.code in (op.CALL_OP, op.CALLX_OP):
                self.calls[i] = self._call_site(i, insn)
                self.report.calls.append(self.calls[i])
                if self.calls[i].kind == "subprog" and self.calls[i].callee != "?":
                    self.report.refs.append(self.calls[i].callee)
            elif insn.is_ld_imm64:
                self._func_address(i, insn)
            i = nxt
        for i, targets in succ.items():
            for t in targets:
                if t not in succ:
                    where = "past the function's end" if t >= self.f.end or t < self.f.start \
                        else "into the middle of an instruction"
                    self.add("cfg", i, f"control flow leaves insn {i} for {t}, {where}")
                    ok = False
        return succ if ok else None

    @staticmethod
    def _successors(i: int, insn: Insn, nxt: int) -> list[int]:
        cls = insn.cls
        if cls not in (op.JMP, op.JMP32):
            return [nxt]
        o = op.alu_op(insn.code)
        if o == op.EXIT:
            return []
        if o == op.CALL:
            return [nxt]
        if o == op.JA:
            return [i + 1 + (insn.imm if cls == op.JMP32 else insn.off)]
        return [nxt, i + 1 + insn.off]       # conditional jumps and may_goto

    def _call_site(self, i: int, insn: Insn) -> CallSite:
        if insn.code == op.CALLX_OP:
            return CallSite(i, "indirect", f"r{insn.dst}", 0)
        rel = self.sec.relocs.get(8 * i)
        if rel is not None and rel.sym_shndx is None:          # extern symbol: a kfunc
            slots, problem = self.protos.kfunc(rel.sym_name)
            if problem:
                self.add("btf", i, f"kfunc {rel.sym_name}: {problem}")
            return CallSite(i, "kfunc", rel.sym_name, slots)
        if rel is None and insn.src == op.CALL_HELPER:
            return CallSite(i, "helper", f"helper#{insn.imm}", 0)
        if rel is None and insn.src == op.PSEUDO_CALL:
            target = (self.sec.index, i + 1 + insn.imm)
        elif rel is not None and rel.sym_shndx is not None and rel.sym_shndx >= 0:
            target = (rel.sym_shndx, (rel.sym_value // 8) + insn.imm + 1)
        else:
            self.add("object", i, f"call {_text(self.insns, i)} cannot be resolved"
                     + (f" (relocation against {rel.sym_name})" if rel else ""))
            return CallSite(i, "subprog", "?", None)
        callee = self.funcs_at.get(target)
        if callee is None:
            self.add("object", i, f"call target {target[1]} is not the start of a function")
            return CallSite(i, "subprog", "?", None)
        _, slots, problem = self.protos.subprog(callee.sec.name, callee.start)
        if problem:
            self.add("btf", i, f"callee {callee.name}: {problem}")
        return CallSite(i, "subprog", callee.name, slots)

    def _func_address(self, i: int, insn: Insn) -> None:
        """A callback's address (LD_IMM64 relocated against a code section): a reference."""
        rel = self.sec.relocs.get(8 * i)
        if rel is None or rel.sym_shndx is None or rel.sym_shndx < 0:
            return
        if (rel.sym_value + insn.imm) % 8:
            return
        callee = self.funcs_at.get((rel.sym_shndx, (rel.sym_value + insn.imm) // 8))
        if callee is not None:
            self.report.refs.append(callee.name)

    # -- the per-path walk ------------------------------------------------------
    def walk(self, succ: dict[int, list[int]]) -> None:
        empty = (0,) * sa.MAX_SLOTS
        start = (self.f.start, empty, False)
        seen = {start}
        work = [start]
        while work:
            if len(seen) > MAX_STATES:
                self.add("cfg", None, f"more than {MAX_STATES} path states; check incomplete")
                break
            pc, counts, touched = work.pop()
            insn = self.insns[pc]
            shape = r11_shape(insn)
            if isinstance(shape, tuple) and shape[0] == "load":
                self._load(pc, shape[1], touched)
            elif isinstance(shape, tuple):                     # a legal store
                c = list(counts)
                c[shape[1] - 1] = min(2, c[shape[1] - 1] + 1)
                counts, touched = tuple(c), True
            elif pc in self.calls:
                self._call(pc, counts)
                counts, touched = empty, True
            elif not succ[pc] and any(counts):                 # exit
                stored = [k + 1 for k, n in enumerate(counts) if n]
                self.add("call-slots", pc, f"r11 slots {stored} are stored but no call "
                         "consumes them before exit")
            for t in succ[pc]:
                s = (t, counts, touched)
                if s not in seen:
                    seen.add(s)
                    work.append(s)
        self.report.states = len(seen)

    def _load(self, pc: int, k: int, touched: bool) -> None:
        if touched:
            self.add("load-order", pc, f"{_text(self.insns, pc)}: incoming r11 load after a "
                     "call or r11 store on some path (loads must come first)")
        own = self.report.stack_slots
        if own is None:
            self.add("load-range", pc, f"{_text(self.insns, pc)}: loads stack slot {k} but the "
                     f"function has no usable BTF prototype ({self.own_problem})")
        elif k > own:
            self.add("load-range", pc, f"{_text(self.insns, pc)}: loads stack slot {k} but its "
                     f"BTF prototype has {_slot_range(own)}")

    def _call(self, pc: int, counts: tuple[int, ...]) -> None:
        site = self.calls[pc]
        if site.slots is None:
            return                               # already reported: no prototype
        need = site.slots
        missing = [k for k in range(1, need + 1) if counts[k - 1] == 0]
        twice = [k for k in range(1, need + 1) if counts[k - 1] > 1]
        extra = [k for k in range(need + 1, sa.MAX_SLOTS + 1) if counts[k - 1]]
        what = f"call to {site.kind} {site.callee} needs {_slot_range(need)}"
        if missing:
            self.add("call-slots", pc, f"{what}; on some path slot(s) {missing} are not stored "
                     "since the previous call")
        if twice:
            self.add("call-slots", pc, f"{what}; on some path slot(s) {twice} are stored twice")
        if extra:
            self.add("call-slots", pc, f"{what}; on some path slot(s) {extra} are stored too")


def check_bytes(data: bytes, name: str = "<bytes>") -> ObjectReport:
    """Run every rule over one object's bytes."""
    report = ObjectReport(name)
    sections, funcs = _read_elf(data, name, report.findings)
    if sections is None:
        return report
    if not sections:
        report.findings.append(Finding("object", f"{name}: no code sections"))
        return report
    covered = {(f.sec.index, i) for f in funcs for i in range(f.start, f.end)}
    for sec in sections.values():
        for i, insn in enumerate(sec.insns):
            if (sec.index, i) not in covered and isinstance(r11_shape(insn), str) \
                    and not (i and sec.insns[i - 1].is_ld_imm64):
                report.findings.append(Finding("r11-shape", f"{_text(sec.insns, i)}: "
                                               f"{r11_shape(insn)}", sec.name, None, i))
    protos = _Protos(data, name, report.findings)
    funcs_at = {(f.sec.index, f.start): f for f in funcs}
    for f in funcs:
        checker = _FuncChecker(f, funcs_at, protos, report.findings)
        succ = checker.scan()
        if succ is not None:
            checker.walk(succ)
        report.functions.append(checker.report)
    return report


def check_file(path) -> ObjectReport:
    """:func:`check_bytes` on a file; an unreadable file is a finding, not an exception."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return ObjectReport(str(path), findings=[Finding("object", f"cannot read {path}: "
                                                          f"{exc.strerror or exc}")])
    return check_bytes(data, str(path))
