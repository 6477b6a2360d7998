"""The library's object: a loaded BPF ELF file with its BTF parsed once (libbpf's ``bpf_object``).

:class:`Object` wraps what :mod:`pipeline.loader` reads (``.elf``: the linked programs, maps,
global data, relocations) and adds what every later stage needs, each computed once and
cached: the parsed BTF and .BTF.ext, the programs with their functions' argument counts and
stack-argument slots (from BTF, as the verifier will see them), the map descriptors, the
skeleton-style globals, and each program's instructions with kfunc calls bound to the mock
kernel's BTF ids (libbpf's ``bpf_object__resolve_ksyms`` + ``bpf_program__relocate``).

What libbpf's open options decide is fixed per Object (``target_btf=``, ``kconfig=``: its
``btf_custom_path`` and ``kconfig``): ``.elf`` is the loaded object *after* libbpf's load-time
rewriting, i.e. with CO-RE relocations applied against the target BTF
(:mod:`pipeline.core_reloc`) and ``.kconfig`` externs turned into loads from a frozen
``.kconfig`` map (:mod:`pipeline.kconfig`); ``raw_elf`` is the file as read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from btf import BtfError, parse_btf, parse_btf_ext
from btf.funcs import subprog_at
from isa import Insn
from isa import opcodes as op

from . import loader
from .errors import BAD_INPUT, REJECTED, Error, UserError


@dataclass(frozen=True)
class Function:
    """A function placed in a linked program, with its BTF facts (None: no BTF prototype)."""
    name: str
    section: str
    start: int                      # first instruction slot in the linked program
    length: int                     # instruction slots
    args: int | None                # argument count (8-byte pieces) from its BTF prototype
    stack_arg_slots: int | None     # incoming r11 slots: args 6..12


@dataclass
class Program:
    """One program of an object: ``functions[0]`` is the program itself, then the
    subprograms linked into it in libbpf's order."""
    name: str
    section: str
    type: str | None
    attach: str | None
    autoload: bool                  # False for '?'-prefixed sections
    insns: list[Insn]
    functions: list[Function]
    elf: loader.Program = field(repr=False)

    @property
    def subprograms(self) -> list[Function]:
        return self.functions[1:]


@dataclass(frozen=True)
class Global:
    """A non-static global variable, as a libbpf skeleton exposes it."""
    name: str
    section: str        # .data, .bss, .rodata, ...
    offset: int
    size: int
    type_id: int | None  # its BTF type, when the object has BTF


@dataclass(frozen=True)
class Linked:
    """A program's instructions as the kernel receives them: kfunc calls carry kernel BTF ids."""
    insns: list[Insn]
    kfuncs: dict[int, str]          # call insn -> kfunc name
    kernel: object | None           # the pipeline.kernel.Registry used (None: no kfunc calls)


class Object:
    """A loaded BPF object; build one with :func:`pipeline.load` or :func:`pipeline.build`."""

    def __init__(self, elf: loader.Object, *, source: str | None = None, build=None,
                 target_btf=None, kconfig=None):
        self.raw_elf = elf
        self.path = source or elf.path   # what messages name: the C file when built from one
        self.source = source          # the C file it was built from, if any
        self.build_result = build     # toolchain.driver.CompileResult, if built here
        self.target_btf = target_btf  # CO-RE target: None (the mock kernel), "vmlinux", a path...
        self.kconfig = kconfig        # .config path or {name: value} for .kconfig externs
        self._linked: dict[tuple[str, int], Linked] = {}

    def with_load_options(self, *, target_btf=None, kconfig=None) -> "Object":
        """This object as libbpf would load it with other open options (the file is not read
        again; an option left None keeps this object's)."""
        if target_btf is None and kconfig is None:
            return self
        o = Object(self.raw_elf, source=self.source, build=self.build_result,
                   target_btf=self.target_btf if target_btf is None else target_btf,
                   kconfig=self.kconfig if kconfig is None else kconfig)
        if "_btf_pair" in self.__dict__:
            o.__dict__["_btf_pair"] = self.__dict__["_btf_pair"]
        return o

    # -- load-time rewriting: CO-RE and .kconfig -------------------------------------------------
    @cached_property
    def elf(self) -> loader.Object:
        """The loaded object as libbpf hands it to the kernel: CO-RE relocations applied and
        ``.kconfig`` externs bound (the same object as ``raw_elf`` when it has neither)."""
        from .load_time import prepare
        elf, self.core_results = prepare(self, self.raw_elf)
        return elf

    @property
    def core_relocations(self) -> dict:
        """program name -> [(linked insn, :class:`pipeline.core_reloc.Result`)]."""
        self.elf  # noqa: B018 - applies them
        return self.core_results

    def __repr__(self) -> str:
        return f"<pipeline.Object {self.path} programs={[p.name for p in self.raw_elf.programs]}>"

    # -- BTF, parsed once -------------------------------------------------------------------
    @cached_property
    def _btf_pair(self):
        raw = self.raw_elf
        if raw.btf is None:
            return None, None
        try:
            b = parse_btf(raw.btf)
            ext = parse_btf_ext(raw.btf_ext, b) if raw.btf_ext is not None else None
        except BtfError as e:
            raise BtfError(f"{self.path}: {e}", e.location or self.path) from None
        return b, ext

    @property
    def btf(self):
        """The object's :class:`btf.Btf`, or None when it has no .BTF section."""
        return self._btf_pair[0]

    @property
    def btf_ext(self):
        """The object's :class:`btf.BtfExt`, or None."""
        return self._btf_pair[1]

    # -- programs ----------------------------------------------------------------------------
    @cached_property
    def programs(self) -> list[Program]:
        return [self._view(p) for p in self.elf.programs]

    def _view(self, p: loader.Program) -> Program:
        funcs = []
        for f in p.functions:
            info = None
            if self.btf is not None and self.btf_ext is not None:
                try:
                    info = subprog_at(self.btf, self.btf_ext, f.section, f.sec_offset // 8)
                except BtfError:
                    info = None
            funcs.append(Function(f.name, f.section, f.start, f.length,
                                  info.arg_cnt if info else None,
                                  info.stack_arg_cnt if info else None))
        return Program(p.name, p.section, p.type, p.attach, p.autoload, list(p.insns), funcs, p)

    def program(self, name: str | None = None) -> Program:
        """The program named ``name`` (function or section name); the first one if None."""
        if not self.programs:
            raise UserError("usage", f"{self.path}: no programs", self.path, BAD_INPUT)
        if name is None:
            return self.programs[0]
        if isinstance(name, Program):
            return name
        for p in self.programs:
            if name in (p.name, p.section):
                return p
        names = ", ".join(p.name for p in self.programs)
        raise UserError("usage", f"{self.path}: no program named '{name}' (programs: {names})",
                        self.path, BAD_INPUT)

    # -- maps and globals ---------------------------------------------------------------------
    @cached_property
    def maps(self) -> list:
        """One :class:`verifier.MapDesc` per map-table entry (BTF maps, legacy maps, data)."""
        from .prog_load import map_descs
        return map_descs(self.elf, self.btf)

    @cached_property
    def globals(self) -> dict[str, Global]:
        """Non-static global variables by name (static ones, such as bpf_printk's format
        strings, are not part of a skeleton's interface)."""
        types = {}
        if self.btf is not None:
            from btf import kinds as L
            for sec in self.btf.types:
                if sec is not None and sec.kind == L.DATASEC:
                    for vs in sec.secinfos:   # by name: offsets are 0 until libbpf's
                        var = self.btf.type(vs.type)   # btf_fixup_datasec fills them in
                        types[(sec.name, var.name)] = var.type
        out = {}
        for d in self.elf.data_sections:
            for s in d.symbols:
                if s.name and s.size and s.bind in ("GLOBAL", "WEAK"):
                    out[s.name] = Global(s.name, d.name, s.value, s.size,
                                         types.get((d.name, s.name)))
        return out

    # -- kfunc calls bound to the kernel, once per program and kernel ------------------------
    def linked(self, prog: Program, kernel=None) -> Linked:
        """``prog``'s instructions with each kfunc call's imm set to the kernel's BTF id.

        ``kernel``: a :class:`pipeline.kernel.Registry` (default: the built-in mock kernel,
        built only when the program calls kfuncs).  A kfunc the kernel lacks keeps imm 0,
        which the verifier rejects (``kernel btf_id 0 is not a function``)."""
        relocs = [r for r in prog.elf.relocs if r.kind == "kfunc"]
        if not relocs:
            return Linked(list(prog.insns), {}, None)
        if kernel is None or isinstance(kernel, (str, Path)):
            kernel = mock_kernel(kernel)
        key = (prog.name, id(kernel))
        got = self._linked.get(key)
        if got is not None:
            return got
        from .kernel import KernelError
        insns = list(prog.insns)
        names = {}
        for r in relocs:
            insn = insns[r.insn]
            if insn.code != op.CALL_OP or insn.src != op.PSEUDO_KFUNC_CALL:
                raise UserError("elf", f"{self.path}: program {prog.name}: kfunc relocation for "
                                       f"'{r.name}' at insn {r.insn} is not on a kfunc call",
                                self.path, BAD_INPUT)
            names[r.insn] = r.name
            try:
                insns[r.insn] = replace(insn, imm=kernel.kfunc(r.name).btf_id, off=0)
            except KernelError:
                pass
        got = self._linked[key] = Linked(insns, names, kernel)
        return got


def mock_kernel(spec: str | Path | None = None):
    """The mock kernel named by ``spec`` (``--kmod``: None/"testmod", "testmod_v1", or a
    user module's path), built once per process; a broken module is a one-line error."""
    from .kernel import KernelBuildError, KernelError, kernel
    try:
        return kernel(None if spec is None else str(spec))
    except (KernelError, KernelBuildError) as e:
        raise UserError("kmod", str(e), None if spec is None else str(spec), BAD_INPUT) from None
    except Error as e:      # the module's prototypes do not compile
        raise UserError("kmod", f"kfunc module {spec or 'testmod'}: its prototypes do not "
                                f"compile: {str(e).splitlines()[0]}", None, BAD_INPUT) from None


def open_object(path: str | Path, *, source: str | None = None, build=None, target_btf=None,
                kconfig=None) -> Object:
    """Read a BPF ELF object from ``path`` (``target_btf``/``kconfig``: see :class:`Object`)."""
    p = Path(path)
    if not p.exists():
        raise UserError("io", f"{p}: no such file", str(p), BAD_INPUT)
    if p.is_dir():
        raise UserError("io", f"{p}: is a directory", str(p), BAD_INPUT)
    obj = Object(loader.load(p), source=source, build=build, target_btf=target_btf,
                 kconfig=kconfig)
    _check_open(obj)
    return obj


def _check_open(obj: Object) -> None:
    """What libbpf's ``bpf_object__open`` refuses in the whole object (legacy ``SEC("maps")``
    definitions, since libbpf 1.0; BTF-defined maps with an invalid pinning value); BTF that
    does not parse is left to the stages that need it."""
    if obj.raw_elf.legacy_maps:
        raise UserError("elf", f"{obj.path}: elf: legacy map definitions in 'maps' section are not "
                               "supported by libbpf v1.0+", obj.path, REJECTED)
    if not obj.raw_elf.maps:
        return
    try:
        btf = obj.btf
    except BtfError:
        return
    if btf is not None:
        from .prog_load import check_btf_maps
        check_btf_maps(obj.path, btf)
