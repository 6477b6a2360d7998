"""The toolchain's two errors, which the CLI maps to exit codes (DESIGN §7).

- :class:`ToolchainError` — nothing usable to compile with, or the request itself
  is wrong (unknown ``-mcpu``, bad ``-D``, missing source file): exit 2.
- :class:`CompileError` — the *program* was rejected: clang's diagnostics, or a
  construct the stack-argument lowering cannot handle: exit 1.
- :class:`InconsistentObjectError` (a :class:`CompileError`, kind ``internal``) —
  the toolchain wrote an object whose stack-argument code disagrees with its own
  BTF: a toolchain bug, caught by the driver's self-check; no object is left behind.

Both are plain exceptions carrying an optional ``location`` ("file:line:col") so
the CLI can put it in its error JSON without parsing the message again.
"""

from __future__ import annotations


from isa.errors import BAD_INPUT, REJECTED, Error


class ToolchainError(Error):
    """No usable compiler, or invalid compile options."""
    kind = "toolchain"
    exit_code = BAD_INPUT


class CompileError(Error):
    """The C program (or its IR) was rejected while compiling."""
    kind = "compile"
    exit_code = REJECTED


class InconsistentObjectError(CompileError):
    """The object compile_c produced fails the toolchain's own ABI checks: a toolchain bug.

    ``findings`` holds the :class:`toolchain.objcheck.Finding` s; ``functions`` the
    names of the functions they are in.
    """
    kind = "internal"

    def __init__(self, message: str, findings=(), functions=(), location: str | None = None):
        super().__init__(message, location)
        self.findings = list(findings)
        self.functions = list(functions)
