"""Turn a command's FILE argument into a BPF object path (DESIGN §7: FILE may be C or an object).

C sources are compiled with the toolchain's default options into a temporary
directory that lives as long as the process, so `verify foo.c`, `disasm foo.c`
and friends never leave stray objects next to the user's source.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from .errors import BAD_INPUT, UserError

_tmpdir: Path | None = None


def _scratch() -> Path:
    global _tmpdir
    if _tmpdir is None:
        _tmpdir = Path(tempfile.mkdtemp(prefix="stackargs-"))
        atexit.register(shutil.rmtree, _tmpdir, True)
    return _tmpdir


def is_c_source(path: str | Path) -> bool:
    return str(path).endswith(".c")


def object_path(path: str | Path) -> Path:
    """``path`` itself for an object; the freshly compiled object for a ``.c`` file."""
    p = Path(path)
    if not p.exists():
        raise UserError("io", f"{p}: no such file", str(p), BAD_INPUT)
    if not is_c_source(p):
        return p
    from toolchain.driver import compile_c

    out = _scratch() / (p.stem + ".bpf.o")
    compile_c(p, out)
    return out
