"""What the CLI's commands share: the C build options and choosing programs (DESIGN §7).

Every command that accepts a C file takes ``-I DIR``, ``-D NAME[=V]``, ``-O N``, ``--mcpu``
and passes any other clang flag through verbatim (``-Wall -Werror -std=gnu11
-fno-strict-aliasing -idirafter DIR ...``: the flags the kernel selftests' Makefile uses).
Commands parse their arguments here and call the public API (:mod:`pipeline.api`); no
command imports another.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .errors import BAD_INPUT, UserError

# clang flags that take their value as the next argument
_FLAGS_WITH_VALUE = {"-idirafter", "-isystem", "-iquote", "-include", "-imacros", "-Xclang",
                     "-mllvm", "-target", "-x", "-MF", "-MT", "-MQ", "-isysroot", "--sysroot"}


def add_build_options(p: argparse.ArgumentParser, *, opt_default: str = "2") -> None:
    """-I/-D/-O/--mcpu for commands that accept C; other clang flags pass through."""
    g = p.add_argument_group("compiling C (FILE.c); any other clang flag passes through, "
                             "also after --")
    g.add_argument("-I", dest="includes", action="append", default=[], metavar="DIR")
    g.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME[=V]")
    g.add_argument("-O", dest="opt", default=opt_default, metavar="N",
                   help=f"optimisation level: 0 1 2 3 s z (default {opt_default})")
    g.add_argument("--mcpu", default="v3", help="BPF CPU version v1..v4 (default v3)")
    g.add_argument("--no-cache", dest="no_cache", action="store_true",
                   help="compile even when the build cache (~/.cache/stackargs/objects) has "
                        "this object already (also: STACKARGS_NO_CACHE=1)")
    p.set_defaults(cflags=[], accepts_cflags=True)


def add_kmod_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kmod", metavar="NAME|PATH",
                   help="the mock kernel's kfunc module: testmod (default), testmod_v1, or a "
                        "module of your own (a kfuncs.py + kfuncs.c directory, or FILE.py "
                        "beside FILE.c)")


def add_load_options(p: argparse.ArgumentParser) -> None:
    """libbpf's open options: the CO-RE target BTF and the Kconfig for ``__kconfig`` externs."""
    g = p.add_argument_group("loading (libbpf's open options)")
    g.add_argument("--target-btf", metavar="PATH|vmlinux",
                   help="BTF that CO-RE relocations are resolved against: 'vmlinux' for "
                        "/sys/kernel/btf/vmlinux, or a raw BTF file / object with .BTF "
                        "(default: the mock kernel's BTF)")
    g.add_argument("--kconfig", metavar="FILE",
                   help="a .config (plain or gzip) giving __kconfig externs their values "
                        "(default: the target kernel's own config; LINUX_KERNEL_VERSION "
                        "from uname)")


def load_options(args) -> dict:
    """The keyword arguments of :func:`pipeline.load` for ``--target-btf``/``--kconfig``."""
    out = {}
    if getattr(args, "target_btf", None):
        out["target_btf"] = args.target_btf
    elif getattr(args, "kmod", None):
        out["target_btf"] = kernel_arg(args)      # CO-RE against the mock kernel --kmod names
    if getattr(args, "kconfig", None):
        if not Path(args.kconfig).is_file():
            raise UserError("io", f"--kconfig {args.kconfig}: no such file", args.kconfig,
                            BAD_INPUT)
        out["kconfig"] = args.kconfig
    return out


def kernel_arg(args):
    """The mock kernel ``--kmod`` names (built now, so a broken module fails at once), or None."""
    if not getattr(args, "kmod", None):
        return None
    from .bpf_object import mock_kernel
    return mock_kernel(args.kmod)


def split_cflags(extra: list[str]) -> list[str]:
    """The clang flags among arguments argparse did not recognise (refuses anything else)."""
    out, i = [], 0
    while i < len(extra):
        a = extra[i]
        if a == "--":               # `build FILE.c -- -Wall`: a separator, not a clang argument
            i += 1
            continue
        if not a.startswith("-") or a == "-":
            raise UserError("usage", f"unrecognized argument: {a}", None, BAD_INPUT)
        out.append(a)
        if a in _FLAGS_WITH_VALUE:
            if i + 1 >= len(extra):
                raise UserError("usage", f"{a} needs a value", None, BAD_INPUT)
            out.append(extra[i + 1])
            i += 1
        i += 1
    return out


def build_options(args) -> dict:
    """The keyword arguments of :func:`pipeline.build` given on the command line."""
    return {"opt": args.opt, "include": list(args.includes), "defines": list(args.defines),
            "cflags": list(args.cflags), "mcpu": args.mcpu,
            "cache": not (getattr(args, "no_cache", False)
                          or os.environ.get("STACKARGS_NO_CACHE"))}


def open_file(args):
    """The :class:`pipeline.Object` of FILE (a C file is built first with the options given)."""
    from .api import is_c_source, load
    if not Path(args.file).exists():
        raise UserError("io", f"{args.file}: no such file", str(args.file), BAD_INPUT)
    opts = load_options(args)
    if is_c_source(args.file):
        return load(args.file, **opts, **build_options(args))
    return load(args.file, **opts)


MAX_DATA = 64 << 20     # bytes: the largest --data a run takes (see pipeline.testrun's limit)


def data_arg(text: str | None, *, limit: int = MAX_DATA) -> bytes | None:
    """``--data HEX|@FILE``: the bytes, reading at most ``limit`` of them (``@/dev/zero`` is
    a one-line error, not an endless read)."""
    if text is None:
        return None
    if text.startswith("@"):
        path = Path(text[1:])
        if path.is_dir():
            raise UserError("io", f"--data: {path} is a directory", str(path), BAD_INPUT)
        try:
            with open(path, "rb") as f:
                data = f.read(limit + 1)
        except OSError as e:
            raise UserError("io", f"--data: cannot read {path}: {e.strerror}", str(path),
                            BAD_INPUT) from None
        if len(data) > limit:
            raise UserError("usage", f"--data: {path} is larger than the {limit >> 20} MiB "
                                     "input limit", str(path), BAD_INPUT)
        return data
    if len(text) > 3 * limit:           # two hex digits and a separator per byte
        raise UserError("usage", f"--data: more than the {limit >> 20} MiB input limit", None,
                        BAD_INPUT)
    try:
        data = bytes.fromhex(text.replace(" ", "").replace(":", ""))
    except ValueError:
        raise UserError("usage", f"--data: not hex bytes: {text[:40]!r}"
                                 f"{'...' if len(text) > 40 else ''}", None, BAD_INPUT) from None
    if len(data) > limit:
        raise UserError("usage", f"--data: more than the {limit >> 20} MiB input limit", None,
                        BAD_INPUT)
    return data


def programs(obj, name: str | None) -> list:
    """All programs, or the one named (an error listing the names otherwise)."""
    return [obj.program(name)] if name else list(obj.programs)
