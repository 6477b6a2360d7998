"""`python -m pipeline` / `stackargs`: argument parsing, dispatch, error reporting.

Each subcommand lives in :mod:`pipeline.commands` as a module exposing
``add_parser(subparsers)`` and ``run(args) -> int``; this module only wires them
up and guarantees the CLI contract of DESIGN §7: ``--json`` on every command,
exit 0/1/2, and never a traceback (an unexpected exception becomes an
"internal" error with exit 2).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys

from .errors import BAD_INPUT, Error, UserError

COMMANDS = ("build", "verify", "run", "test", "disasm", "jit", "btf")


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage already; keep that but honour --json."""

    def error(self, message):  # noqa: D401 - argparse API
        if "--json" in sys.argv:
            print(json.dumps(UserError("usage", message).to_json()))
            raise SystemExit(BAD_INPUT)
        super().error(message)


def _available_commands(argv: list[str] | None = None) -> dict:
    """The command modules to wire up: only the one named first on the command line when
    there is one (each module imports what its command needs, some of them the verifier,
    JIT and mock kernel), else all of them (top-level help and usage errors list every
    command)."""
    args = sys.argv[1:] if argv is None else argv
    names = COMMANDS
    if args and args[0] in COMMANDS:
        names = (args[0],)
    mods = {}
    for name in names:
        try:
            mods[name] = importlib.import_module(f"pipeline.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pipeline.commands.{name}":
                raise
    return mods


def build_parser(mods: dict) -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m pipeline",
                     description="Compile, verify, JIT and run eBPF programs with stack arguments.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for mod in mods.values():
        p = mod.add_parser(sub)
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
        p.set_defaults(_run=mod.run)
    return parser


def _terminated(signum, frame):
    # SIGTERM ends the process through SystemExit, so temporary directories are removed
    raise SystemExit(128 + signum)


_PACKAGES = ("isa", "btf", "toolchain", "verifier", "jit", "pipeline")


def ensure_bytecode() -> None:
    """Byte-compile the project's stale modules when the interpreter will not
    (``PYTHONDONTWRITEBYTECODE``, set on these machines): otherwise every command
    recompiles each changed module, about 0.2 s per process for all of them.  One stat per
    module decides (about 1 ms); a source tree that cannot be written is left alone;
    ``STACKARGS_NO_BYTECODE=1`` turns it off (and :mod:`pipeline.codecache`, the cache of
    the code dataclasses generate)."""
    if not sys.dont_write_bytecode or os.environ.get("STACKARGS_NO_BYTECODE"):
        return
    import importlib.util
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    stale = []
    for pkg in _PACKAGES:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, pkg)):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for name in filenames:
                if not name.endswith(".py"):
                    continue
                src = os.path.join(dirpath, name)
                try:
                    if os.stat(importlib.util.cache_from_source(src)).st_mtime >= os.stat(src).st_mtime:
                        continue
                except OSError:
                    pass
                stale.append(src)
    if not stale:
        return
    import py_compile
    for src in stale:
        try:
            py_compile.compile(src, doraise=True)
        except OSError:
            return                  # read-only tree: leave it
        except py_compile.PyCompileError:
            continue                # the import reports it


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminated)
    ensure_bytecode()
    from . import codecache
    codecache.install()         # already done by `python -m pipeline`; the `stackargs` script
    mods = _available_commands(argv)
    parser = build_parser(mods)
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "accepts_cflags", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return _dispatch(args, extra)
    except BrokenPipeError:
        # the reader went away (`... | head`), maybe while an error was being reported: not
        # our error, and nothing left to say; point stdout at /dev/null so the interpreter's
        # final flush stays quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _dispatch(args, extra: list[str]) -> int:
    try:
        if extra:
            from .cli_args import split_cflags
            args.cflags = split_cflags(extra)
        return args._run(args)
    except BrokenPipeError:
        raise
    except Error as err:
        return report(err, args.json)
    except KeyboardInterrupt:
        return report(UserError("interrupted", "interrupted"), args.json)
    except OSError as exc:
        where = exc.filename or ""
        return report(UserError("io", f"{where}: {exc.strerror or exc}".lstrip(": ")), args.json)
    except Exception as exc:  # last line of defence: the contract forbids tracebacks
        return report(UserError("internal", f"internal error: {type(exc).__name__}: {exc}"),
                      args.json)


def report(err: Error, as_json: bool) -> int:
    if as_json:
        print(json.dumps(err.to_json()))
    else:
        # clang's own diagnostics already say "error:" and must reach the user verbatim
        message = str(err)
        verbatim = err.kind == "compile" and " error: " in message
        print(message if verbatim else f"error: {message}", file=sys.stderr)
    return err.exit_code
