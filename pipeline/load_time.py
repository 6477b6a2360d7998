"""libbpf's load-time rewriting of a loaded object: CO-RE relocations and ``.kconfig`` externs.

``bpf_object__load`` counterpart for what changes instructions before ``BPF_PROG_LOAD``:
``bpf_object__resolve_externs`` + ``bpf_object__init_kconfig_map`` (:mod:`pipeline.kconfig`:
one more internal map, ``.kconfig``, after the global data maps, and each ``LD_IMM64`` of a
Kconfig extern turned into a load of its value from that map, as
``bpf_object__relocate_data`` does) and ``bpf_object__relocate_core``
(:mod:`pipeline.core_reloc`, against the target BTF: the mock kernel's by default,
``"vmlinux"`` for ``/sys/kernel/btf/vmlinux``, or a BTF file, like libbpf's
``btf_custom_path``).  The result is a new :class:`pipeline.objfile.Object` whose programs carry
the patched instructions plus a ``core`` :class:`pipeline.objfile.ProgReloc` per relocated
instruction (``disasm`` shows it).
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import btf
from isa import opcodes as op

from . import kconfig as kcfg
from .errors import BAD_INPUT, UserError
from .objfile import DataSection, MapRef, ProgReloc

if TYPE_CHECKING:
    from .core_reloc import Target

VMLINUX = "/sys/kernel/btf/vmlinux"


def prepare(obj, raw):
    """(rewritten loader object, {program: [(linked insn, core_reloc.Result)]})."""
    btf, ext = obj.btf, obj.btf_ext
    has_core = ext is not None and any(ext.core_relos.values())
    target = _target(obj.target_btf) if has_core else None
    conf = kcfg.resolve(btf, raw, obj.kconfig, system=_is_vmlinux(obj.target_btf))
    if not has_core and conf is None:
        return raw, {}
    from .core_reloc import CoreError, relocate_program     # only objects that need them
    kmap = None
    data_sections, map_table = list(raw.data_sections), list(raw.map_table)
    if conf is not None:
        kmap = len(map_table)
        data_sections.append(DataSection(kcfg.KCONFIG_SEC, "rodata", conf.size, conf.data, ()))
        map_table.append(MapRef("data", kcfg.KCONFIG_SEC))
    programs, results, cache = [], {}, {}
    for p in raw.programs:
        insns, relocs = list(p.insns), list(p.relocs)
        if conf is not None:
            relocs = [_kconfig_ref(insns, r, conf, kmap) for r in relocs]
        if has_core:
            try:
                done = relocate_program(insns, p.functions, btf, ext, target, cache)
            except CoreError as e:
                raise CoreError(f"{obj.path}: {e} (CO-RE target: {target.name})",
                                obj.path) from None
            results[p.name] = done
            relocs += [ProgReloc(at, "core", r.note(), None, offset=r.new) for at, r in done]
            relocs.sort(key=lambda r: r.insn)
        programs.append(dataclasses.replace(p, insns=insns, relocs=relocs))
    return dataclasses.replace(raw, programs=programs, data_sections=data_sections,
                               map_table=map_table), results


def _kconfig_ref(insns, r: ProgReloc, conf, kmap: int) -> ProgReloc:
    """An ``LD_IMM64`` of a Kconfig extern as libbpf's relocate_data leaves it."""
    off = conf.offset(r.name) if r.kind == "ksym" else None
    if off is None:
        return r
    insns[r.insn] = dataclasses.replace(insns[r.insn], src=op.PSEUDO_MAP_IDX_VALUE, imm=kmap)
    insns[r.insn + 1] = dataclasses.replace(insns[r.insn + 1], imm=off)
    return ProgReloc(r.insn, "data", kcfg.KCONFIG_SEC, r.reloc, map_index=kmap, offset=off)


def _is_vmlinux(spec) -> bool:
    return isinstance(spec, (str, Path)) and str(spec) in ("vmlinux", VMLINUX)


def target_kernel_btf(spec):
    """The ``btf.Btf`` of the kernel a program is loaded for, when the object names one
    (``"vmlinux"``, a BTF file, a ``btf.Btf``); None for the mock kernel (the default, or a
    mock kernel registry).  Tracing contexts (tp_btf, iter) and the kernel objects helpers
    return are typed by it, as libbpf and the kernel type them by vmlinux BTF."""
    if spec is None or hasattr(spec, "kernel") or hasattr(spec, "btf"):
        return None
    return _target(spec).btf


def _target(spec) -> Target:
    """The CO-RE target BTF: None (the built-in mock kernel), a mock kernel registry,
    ``"vmlinux"``, a path to raw BTF or an ELF object with ``.BTF``, or a ``btf.Btf``."""
    from .core_reloc import Target
    if spec is None:
        from .bpf_object import mock_kernel
        spec = mock_kernel(None)
    if hasattr(spec, "kernel") and hasattr(spec.kernel, "btf"):       # a mock kernel registry
        return Target(spec.kernel.btf, "the mock kernel's BTF")
    if hasattr(spec, "btf") and hasattr(spec.btf, "types"):           # btf.kernel.KernelBtf
        return Target(spec.btf, "the mock kernel's BTF")
    if hasattr(spec, "types"):                                        # a btf.Btf
        return Target(spec, "the given BTF")
    path = VMLINUX if _is_vmlinux(spec) else str(spec)
    p = Path(path)
    if not p.exists():
        raise UserError("io", f"--target-btf {spec}: no such file", path, BAD_INPUT)
    st = p.stat()
    return _load_target(str(p.resolve()), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=4)
def _load_target(path: str, mtime: int, size: int) -> Target:
    from .core_reloc import Target
    try:
        return Target(btf.load(path).btf, path)
    except btf.BtfError as e:
        raise UserError("btf", f"--target-btf {path}: {e}", path, BAD_INPUT) from None


def fixup_verifier_log(obj, prog, verdict):
    """libbpf's fixup_log_failed_core_relo: a rejection at a poisoned instruction
    (``invalid func unknown#195896080``) names the CO-RE relocation that failed to resolve::

        5: <invalid CO-RE relocation>
        failed to resolve CO-RE relocation <byte_off> [7] struct task_struct.pid (0:17 @ offset 0)
    """
    err = verdict.error
    if verdict.accepted or err is None or err.insn is None \
            or err.message != "invalid func unknown#195896080":
        return verdict
    res = dict(obj.core_relocations.get(prog.name, ())).get(err.insn)
    if res is None or not res.poison:
        return verdict
    reason = f"failed to resolve CO-RE relocation <{res.kind_str}> {res.local}"
    patch = f"{err.insn}: <invalid CO-RE relocation>\n{reason}\n"
    lines = verdict.log.splitlines(keepends=True)
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith(err.message):
            start = i - 1 if i and lines[i - 1].startswith(f"{err.insn}: (85) call unknown#") else i
            lines[start:i + 1] = [patch]
            break
    return dataclasses.replace(verdict, log="".join(lines),
                               error=dataclasses.replace(err, message=reason))
