"""The toolchain's two errors, which the CLI maps to exit codes (DESIGN §7).

- :class:`ToolchainError` — nothing usable to compile with, or the request itself
  is wrong (unknown ``-mcpu``, bad ``-D``, missing source file): exit 2.
- :class:`CompileError` — the *program* was rejected: clang's diagnostics, or a
  construct the stack-argument lowering cannot handle: exit 1.

Both are plain exceptions carrying an optional ``location`` ("file:line:col") so
the CLI can put it in its error JSON without parsing the message again.
"""

from __future__ import annotations


class _LocatedError(Exception):
    def __init__(self, message: str, location: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return self.message


class ToolchainError(_LocatedError):
    """No usable compiler, or invalid compile options."""


class CompileError(_LocatedError):
    """The C program (or its IR) was rejected while compiling."""
