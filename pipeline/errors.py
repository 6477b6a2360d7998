"""The one error the CLI turns into a one-line message (or error JSON) and an exit code.

Stages raise their own errors (``isa.IsaError``, ``btf.BtfError``, …); the CLI
converts every known stage error into a :class:`UserError` via :func:`as_user_error`.
Exit codes follow DESIGN §7: 1 = the program was rejected (compile error,
verifier rejection, runtime fault), 2 = bad invocation or unreadable input.
"""

from __future__ import annotations

from dataclasses import dataclass

REJECTED = 1
BAD_INPUT = 2


@dataclass
class UserError(Exception):
    kind: str          # short machine-readable class: "elf", "isa", "btf", "compile", "verifier", ...
    message: str       # one line, names the file/section/function/instruction
    location: str | None = None
    exit_code: int = BAD_INPUT

    def __str__(self) -> str:
        return self.message

    def to_json(self) -> dict:
        return {"error": {"kind": self.kind, "message": self.message, "location": self.location}}
