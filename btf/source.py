"""Get BTF from a file: an ELF object (.BTF / .BTF.ext sections) or a raw blob.

A raw blob is what /sys/kernel/btf/* holds: the .BTF section bytes alone,
recognised by the BTF magic at offset 0.  ELF objects are read with the
project's ELF reader (:func:`isa.elf.read_sections`), of any machine and byte
order, as ``bpftool btf dump file`` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from isa.elf import ObjectError, read_sections

from .errors import BtfError
from .ext import BtfExt, parse_btf_ext
from .graph import Btf
from .layout import layout_for_magic
from .parse import parse_btf

ELF_MAGIC = b"\x7fELF"


@dataclass
class BtfObject:
    """BTF of one file; ``ext`` is None for raw blobs and objects without .BTF.ext."""
    path: str
    btf: Btf
    ext: BtfExt | None
    kind: str          # "elf" or "raw"


def load_bytes(data: bytes, name: str = "<bytes>") -> BtfObject:
    if data[:4] == ELF_MAGIC:
        return _load_elf(data, name)
    if layout_for_magic(data) is not None:
        return BtfObject(name, parse_btf(data), None, "raw")
    raise BtfError(f"{name}: neither an ELF object nor a raw BTF blob "
                   f"(first bytes {data[:4].hex() or 'empty'})", "+0x0")


def load(path: str | Path) -> BtfObject:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BtfError(f"cannot read {path}: {exc.strerror or exc}") from None
    return load_bytes(data, str(path))


def _load_elf(data: bytes, name: str) -> BtfObject:
    try:
        sections = {s.name: s.data for s in reversed(read_sections(data, name, any_target=True))}
    except ObjectError as exc:
        raise BtfError(exc.message, name) from None
    btf_data = sections.get(".BTF")
    if btf_data is None:
        raise BtfError(f"{name}: no .BTF section (compile with -g)", name)
    ext_data = sections.get(".BTF.ext")
    btf = parse_btf(btf_data)
    ext = parse_btf_ext(ext_data, btf) if ext_data is not None else None
    return BtfObject(name, btf, ext, "elf")
