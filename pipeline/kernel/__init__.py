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

from functools import lru_cache
from pathlib import Path

# the registry's records and the per-run state are cheap; the kernel BTF build (toolchain,
# BTF parser) and the helper table are imported on first use, so that importing one
# submodule (pipeline.kernel.layout, .maps, .helpers) does not pay for the rest
from .registry import (ANY_PROG_TYPE, KF_FLAGS, Helper, KernelError, Kfunc, KfuncDef, KfuncSet,
                       Registry, resolve)
from .state import KernelState, KfuncCall

INCLUDE_DIR = Path(__file__).resolve().parent / "include"
MODULES = ("core", "testmod")       # the built-in kernel: vmlinux's kfuncs, then bpf_testmod's
_FROM_BUILD = ("KernelBuild", "KernelBuildError", "MissingPrototypes", "build_kernel_btf",
               "module_files")


def __getattr__(name: str):
    if name in _FROM_BUILD:
        from . import build
        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["registry", "kernel", "build_registry", "kfunc_defs", "INCLUDE_DIR", "MODULES", "KernelBuild",
           "KernelBuildError", "build_kernel_btf", "ANY_PROG_TYPE", "KF_FLAGS", "Helper",
           "KernelError", "Kfunc", "KfuncDef", "KfuncSet", "Registry", "KernelState", "KfuncCall"]


def kfunc_defs(modules=MODULES) -> list[KfuncDef]:
    """Every kfunc the modules register, in module then set order."""
    defs: list[KfuncDef] = []
    for m in modules:
        mod = _import_module(m)
        sets = getattr(mod, "KFUNC_SETS", None)
        if not isinstance(sets, (list, tuple)) or not all(isinstance(s, KfuncSet) for s in sets):
            raise KernelError(f"kfunc module {m}: KFUNC_SETS must list its KfuncSet objects")
        for s in sets:
            defs += s.defs
    return defs


def _import_module(m):
    import hashlib
    import importlib.util

    from .build import module_files
    _, py = module_files(m)
    if isinstance(m, str) and py.parent.parent == Path(__file__).resolve().parent:
        return importlib.import_module(f"{__name__}.{m}.kfuncs")
    name = "stackargs_kmod_" + hashlib.sha256(str(py).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, py)
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except KernelError as e:
        raise KernelError(f"kfunc module {m}: {e}") from None
    except SyntaxError as e:
        raise KernelError(f"kfunc module {m}: {py}:{e.lineno}: {e.msg}") from None
    except Exception as e:  # noqa: BLE001 - the user's module failed to import
        raise KernelError(f"kfunc module {m}: {py}: {type(e).__name__}: {e}") from None
    return mod


BUILTIN = {"testmod": ("core", "testmod"), "testmod_v1": ("core", "testmod_v1")}


@lru_cache(maxsize=None)
def kernel(spec: str | None = None) -> Registry:
    """The mock kernel for ``--kmod``/``kernel=``: ``None`` or ``"testmod"`` (the final
    series' bpf_testmod), ``"testmod_v1"`` (the v1 series' kfuncs), or a path to a user's
    module (a directory with ``kfuncs.c`` + ``kfuncs.py``, or a ``.py`` file beside a ``.c``
    of the same name); vmlinux's core kfuncs are always there.  Built once per process."""
    if spec is None or spec == "testmod":
        return registry()
    modules = BUILTIN.get(spec) or ("core", str(Path(spec).resolve()))
    if spec not in BUILTIN and not Path(spec).exists():
        raise KernelError(f"kfunc module {spec}: no such module (built-in: "
                          f"{', '.join(BUILTIN)}) and no such file")
    return build_registry(modules=modules)


def build_registry(*, modules=MODULES, cache=None, force: bool = False) -> Registry:
    """Build (or fetch from the disk cache) the kernel BTF and resolve every kfunc in it."""
    from btf.kernel import load_kernel_btf

    from . import helpers
    from .build import MissingPrototypes, build_kernel_btf
    defs = kfunc_defs(modules)
    try:
        built = build_kernel_btf(required=[d.name for d in defs], modules=modules, cache=cache,
                                 force=force)
    except MissingPrototypes as e:
        d = next(d for d in defs if d.name == e.missing[0])
        raise KernelError(f"kfunc {d.name} ({d.module}) has no prototype in the kernel BTF: "
                          f"its module's C file does not define it") from None
    reg = resolve(load_kernel_btf(built.path), defs)
    reg.build = built
    reg.helpers = helpers.table()
    return reg


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The mock kernel of this process (built once)."""
    return build_registry()
