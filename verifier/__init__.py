"""The BPF verifier: an abstract interpreter that accepts what Linux accepts.

Entry point: :func:`verify` (``verifier.core``) takes a :class:`VerifierInput`
(what BPF_PROG_LOAD receives: instructions, program type, maps, BTF and
func_info) and returns a :class:`Verdict` (accepted or rejected with the
kernel's message, the log, processed-instruction statistics and
per-subprogram facts for the JIT).

Modules, one concern each: ``input``/``verdict`` (data in and out),
``cfg`` (structure checks), ``state``/``regtypes`` (register, stack and frame
state), ``tnum``/``scalar``/``branch`` (the scalar domain), ``alu``, ``mem``,
``stack``, ``ctx``, ``jumps``, ``helpers``/``helper_call``, ``calls``, ``refs``,
``precision``, ``liveness``, ``prune`` and ``log``; ``core`` drives them.
The stack-argument ABI (r11 slots) is ``stack_args``; kfunc calls are
``kfunc_call`` (resolution against the kernel BTF given in
``VerifierInput.options["kernel_btf"]``, effects, iterators) and
``kfunc_args`` (argument checks, registers and stack slots alike).
"""

from verifier.core import verify
from verifier.input import LineInfo, MapDesc, VerifierInput
from verifier.verdict import SubprogFacts, Verdict, VerifierErrorInfo

__all__ = ["verify", "VerifierInput", "MapDesc", "LineInfo", "Verdict", "VerifierErrorInfo",
           "SubprogFacts"]
