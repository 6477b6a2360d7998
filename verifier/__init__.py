"""The BPF verifier: an abstract interpreter that accepts what Linux accepts.

Entry point: :func:`verify` (``verifier.core``) takes a :class:`VerifierInput`
(what BPF_PROG_LOAD receives: instructions, program type, maps, BTF and
func_info) and returns a :class:`Verdict` (accepted or rejected with the
kernel's message, the log, processed-instruction statistics and
per-subprogram facts for the JIT).

Modules, one concern each: ``input``/``verdict``/``facts`` (data in and out), ``env``
(the run's shared state), ``cfg``/``cfg_walk``/``cfg_order`` (structure checks;
``cfg_one``: the same for a one-function program with forward jumps, in one walk),
``state``/``regtypes`` (register, stack and frame state),
``tnum``/``scalar``/``scalar_bounds``/``scalar_ops``/``scalar_width``/``branch``/
``branch_fields`` (the scalar domain), ``alu``, ``mem``/``mem_atomic``, ``stack``, ``ctx``,
``jumps``,
``helpers``/``helpers_avail``/``helper_call``/``helper_ret``/``map_compat``, ``calls``,
``call_args`` (argument locations and the memory checks all calls share), ``refs``,
``precision``, ``liveness``/``stack_liveness``,
``prune``, ``worklist`` (pending branches, jump history) and ``log``/``trace``;
``core`` drives them and is imported by nothing but this package entry (the
module graph has no cycle: tests/verifier/test_structure.py).  The
stack-argument ABI (r11 slots) is ``stack_args``; kfunc calls are
``kfunc_call`` (resolution against ``VerifierInput.kernel_btf``, effects,
iterators), ``kfunc_args`` (argument checks, registers and stack slots alike)
and ``btf_access`` (loads through kernel pointers); BPF exceptions (``bpf_throw``,
the exception callback) are ``exceptions``.
"""

from verifier.core import verify
from verifier.input import LineInfo, MapDesc, VerifierInput
from verifier.verdict import SubprogFacts, Verdict, VerifierErrorInfo

__all__ = ["verify", "VerifierInput", "MapDesc", "LineInfo", "Verdict", "VerifierErrorInfo",
           "SubprogFacts"]
