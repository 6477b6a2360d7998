"""C → BPF compilation for the stack-argument ABI (DESIGN §4).

- :mod:`toolchain.errors` — :class:`ToolchainError` (exit 2), :class:`CompileError` (exit 1),
  :class:`InconsistentObjectError` (a CompileError: the self-check caught a toolchain bug);
- :mod:`toolchain.discovery` — candidate clangs: ``$CLANG``, ``clang``, ``clang-NN``, ziglang;
- :mod:`toolchain.probe` — what each can do (version, BPF target, native stack
  arguments, ``-mcpu`` values), cached per binary; :func:`~toolchain.probe.choose`;
- :mod:`toolchain.driver` — :func:`~toolchain.driver.compile_c`, the native and lowered paths;
- :mod:`toolchain.lower` — the stack-argument lowering of LLVM IR for LLVM <= 22;
- ``python -m toolchain info|check`` — :mod:`toolchain.info`, :mod:`toolchain.check`.

Only the errors are imported here: the rest pull in subprocess/llvmlite work
that a caller may not need.
"""

from .errors import CompileError, InconsistentObjectError, ToolchainError

__all__ = ["CompileError", "InconsistentObjectError", "ToolchainError"]
