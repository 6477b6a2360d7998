"""The project's one error family (DESIGN §1, §7): every stage's error is an :class:`Error`.

An error carries a ``kind`` (machine-readable: ``usage``, ``io``, ``elf``, ``isa``, ``btf``,
``compile``, ``toolchain``, ``verifier``, ``jit``, ``runtime``, ``kfunc``, ``internal``), a
one-line ``message`` naming the file, section, function or instruction, an optional short
``location`` and the CLI's ``exit_code`` (1: the program was rejected; 2: bad invocation or
unreadable input).  Stages subclass it with their own kind (``btf.BtfError``,
``toolchain.CompileError``, ...); ``pipeline.Error`` is this class, so a library user and the
CLI catch one type.  It lives in the leaf package so every stage can raise it without
importing a later one.
"""

from __future__ import annotations

REJECTED = 1
BAD_INPUT = 2


class Error(Exception):
    kind: str = "internal"
    exit_code: int = BAD_INPUT

    def __init__(self, message: str, location: str | None = None, *, kind: str | None = None,
                 exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.location = location
        if kind is not None:
            self.kind = kind
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message

    def to_json(self) -> dict:
        return {"error": {"kind": self.kind, "message": str(self), "location": self.location}}
