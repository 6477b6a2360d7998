"""The CLI's and the API's error type: :class:`Error` is the project's one error family.

``pipeline.Error`` (= :class:`isa.errors.Error`) is what every stage raises through its own
subclass (``btf.BtfError``, ``toolchain.CompileError``, ``pipeline.objfile.ObjectError``, ...);
:class:`UserError` is the pipeline's own (usage, io, verifier, runtime, ...), built with an
explicit kind.  Exit codes follow DESIGN §7: 1 = the program was rejected (compile error,
verifier rejection, runtime fault), 2 = bad invocation or unreadable input.
"""

from __future__ import annotations

from isa.errors import BAD_INPUT, REJECTED, Error

__all__ = ["Error", "UserError", "BAD_INPUT", "REJECTED"]


class UserError(Error):
    """An error of the pipeline itself: ``UserError(kind, message, location, exit_code)``."""

    def __init__(self, kind: str, message: str, location: str | None = None,
                 exit_code: int = BAD_INPUT):
        super().__init__(message, location, kind=kind, exit_code=exit_code)
