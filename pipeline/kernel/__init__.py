"""The mock kernel's kfuncs (DESIGN §5): kernel BTF, registry, Python implementations.

Each kfunc module is a directory (``core/`` for vmlinux, ``testmod/`` for
bpf_testmod) holding ``kfuncs.c`` — kernel-side prototypes and types,
compiled into the kernel BTF by :mod:`.build` — and ``kfuncs.py`` — the
implementations with their ``KF_*`` flags and program types
(:mod:`.registry`).  ``include/`` has the headers BPF programs include
(``bpf_testmod_kfunc.h``, ``bpf_kfuncs.h``), as the selftests do.

Typical use::

    from pipeline.kernel import registry
    reg = registry()                       # built once per process (BTF cached on disk)
    reg.kernel                             # btf.kernel.KernelBtf, kfunc_flags filled
    reg.kfunc_table()                      # btf_id -> callable(vm, *args), for executors
    reg.helpers                            # helper id -> Helper (pipeline.kernel.helpers)

Programs' kfunc calls are bound to these ids once, by ``pipeline.Object.linked``.

The verifier must not import this package (it is a later stage): hand it
``reg.kernel`` and ``reg.kfunc_prog_types()`` as data.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from pathlib import Path

from btf.kernel import load_kernel_btf

from . import helpers
from .build import MODULES, KernelBuild, KernelBuildError, build_kernel_btf
from .registry import (ANY_PROG_TYPE, KF_FLAGS, Helper, KernelError, Kfunc, KfuncDef, KfuncSet,
                       Registry, resolve)
from .state import KernelState, KfuncCall

INCLUDE_DIR = Path(__file__).resolve().parent / "include"

__all__ = ["registry", "build_registry", "kfunc_defs", "INCLUDE_DIR", "MODULES", "KernelBuild",
           "KernelBuildError", "build_kernel_btf", "ANY_PROG_TYPE", "KF_FLAGS", "Helper",
           "KernelError", "Kfunc", "KfuncDef", "KfuncSet", "Registry", "KernelState", "KfuncCall"]


def kfunc_defs(modules=MODULES) -> list[KfuncDef]:
    """Every kfunc the modules register, in module then set order."""
    defs: list[KfuncDef] = []
    for m in modules:
        mod = importlib.import_module(f"{__name__}.{m}.kfuncs")
        for s in mod.KFUNC_SETS:
            defs += s.defs
    return defs


def build_registry(*, modules=MODULES, cache=None, force: bool = False) -> Registry:
    """Build (or fetch from the disk cache) the kernel BTF and resolve every kfunc in it."""
    defs = kfunc_defs(modules)
    built = build_kernel_btf(required=[d.name for d in defs], modules=modules, cache=cache,
                             force=force)
    reg = resolve(load_kernel_btf(built.path), defs)
    reg.build = built
    reg.helpers = helpers.table()
    return reg


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The mock kernel of this process (built once)."""
    return build_registry()
