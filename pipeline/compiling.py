"""``pipeline.compile``: C to a BPF object, asm or IR with the stack-argument toolchain.

Kept apart from :mod:`pipeline.api` so that what only compiles (``python -m pipeline build``)
imports the toolchain alone, not the verifier, JIT and mock kernel.  Kernel counterpart:
none (clang and libbpf's build side; see :mod:`toolchain.driver`).
"""

from __future__ import annotations

from pathlib import Path

from .errors import BAD_INPUT, UserError


def is_c_source(path: str | Path) -> bool:
    return str(path).endswith(".c")


def compile(path: str | Path, output: str | Path, *, opt: int | str = 2, include=(),
            defines=None, cflags=(), mcpu: str = "v3", emit: str = "obj", cache: bool = False):
    """Compile the C file ``path`` to ``output`` (``emit``: ``obj``, ``asm`` or ``ir``); the
    :class:`toolchain.driver.CompileResult` (compiler, path taken, clang commands run).
    ``cache``: reuse an object built before from the same source, headers, compiler and
    flags (:mod:`toolchain.buildcache`; objects only; ``result.cached`` says so)."""
    from toolchain.driver import CompileOptions, compile_c

    src = Path(path)
    if not src.is_file():
        raise UserError("io", f"{src}: no such file", str(src), BAD_INPUT)
    if isinstance(defines, dict):
        defines = [k if v is None else f"{k}={v}" for k, v in defines.items()]
    opts = CompileOptions(opt_level=str(opt), include_dirs=[str(d) for d in include],
                          defines=list(defines or ()), mcpu=mcpu, cflags=tuple(cflags),
                          emit=emit, cache=cache)
    return compile_c(src, Path(output), opts)
