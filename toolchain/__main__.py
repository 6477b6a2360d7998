"""``python -m toolchain <command>``: toolchain diagnostics.

Each subcommand is a module of this package exposing ``add_parser(sub)`` (which
registers its parser and sets ``_run``) and ``run(args) -> int``: ``info`` here,
``check`` (the regression checks, DESIGN §4) in :mod:`toolchain.check` once it
exists. Exit codes follow DESIGN §7; errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import CompileError, ToolchainError

SUBCOMMANDS = ("info", "check")


def _modules() -> list:
    mods = []
    for name in SUBCOMMANDS:
        try:
            mods.append(importlib.import_module(f"toolchain.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"toolchain.{name}":     # a real import bug inside it
                raise
    return mods


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolchain",
                                     description="Inspect and check the C -> BPF toolchain.")
    sub = parser.add_subparsers(dest="command", required=True)
    for mod in _modules():
        name = mod.__name__.rsplit(".", 1)[1]
        mod.add_parser(sub)
        p = sub.choices.get(name)       # whatever add_parser returned, use the registered one
        if p is None:
            continue
        if p.get_default("_run") is None:
            p.set_defaults(_run=mod.run)
    args = parser.parse_args(argv)
    try:
        return args._run(args)
    except ToolchainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except CompileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:     # `... | head`: the reader left, nothing to report
        sys.stdout = None
        return 0
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 2
    except Exception as exc:  # the CLI contract forbids tracebacks
        print(f"error: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
