"""Map the stages' own exceptions onto :class:`pipeline.errors.UserError`.

Stages do not know about the CLI; this table is the single place that decides
which error kind and exit code each stage error gets.
"""

from __future__ import annotations

from .errors import BAD_INPUT, REJECTED, UserError


def as_user_error(exc: BaseException) -> UserError:
    if isinstance(exc, UserError):
        return exc
    for cls_path, kind, code in _TABLE:
        cls = _resolve(cls_path)
        if cls is not None and isinstance(exc, cls):
            return UserError(kind, str(exc), getattr(exc, "location", None), code)
    if isinstance(exc, OSError):
        return UserError("io", f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "), None, BAD_INPUT)
    return UserError("internal", f"internal error: {type(exc).__name__}: {exc}", None, BAD_INPUT)


# (exception class "module:Name", error kind, exit code); resolved lazily so a
# stage that does not exist yet costs nothing.
_TABLE = [
    ("pipeline.loader:ObjectError", "elf", BAD_INPUT),
    ("isa.insn:IsaError", "isa", BAD_INPUT),
    ("btf.errors:BtfError", "btf", BAD_INPUT),
    ("toolchain.errors:CompileError", "compile", REJECTED),
    ("toolchain.errors:ToolchainError", "toolchain", BAD_INPUT),
]


def _resolve(path: str):
    import importlib
    mod_name, _, name = path.partition(":")
    try:
        return getattr(importlib.import_module(mod_name), name)
    except (ImportError, AttributeError):
        return None
