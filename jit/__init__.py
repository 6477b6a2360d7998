"""jit: BPF -> x86-64, the way the Linux x86 JIT does it (DESIGN.md §3 "x86-64 JIT").

Entry point :func:`jit` (``jit.translate``): a linked BPF program (main function
at slot 0, subprograms after it) plus optional per-function facts
(:class:`FuncSpec`: name, stack depth, incoming stack-argument slots) ->
:class:`Image` (code, per-function frame layout, per-BPF-instruction offsets,
relocations for helper/kfunc trampolines and map/global addresses, bound by an
executor with :meth:`Image.link`).

Modules: ``x86_encode`` (instruction encoder), ``regmap`` (register map),
``facts`` (function boundaries, outgoing slot counts), ``fuse`` (pairs of
BPF instructions as one x86 instruction), ``translate``, ``image`` (the
output dataclasses).  This package imports ``isa`` only.

``jit(insns, funcs, options, dead=..., seen=...)``: ``seen`` takes the
verifier's ``Verdict.seen_insns`` (``dead`` a set of slots) and drops the code
it never reached; :class:`JitOptions` switches BMI2 shifts (default: the
host CPU's), pair fusion and frameless leaf functions.
"""

from .facts import FuncSpec
from .image import HELPER_STRIDE, MAX_HELPER_ID, FuncLayout, Image, JitError, LinkError, Reloc, Target
from .translate import JitOptions, jit

__all__ = ["jit", "JitOptions", "FuncSpec", "Image", "FuncLayout", "Reloc", "Target", "JitError",
           "LinkError", "HELPER_STRIDE", "MAX_HELPER_ID"]
