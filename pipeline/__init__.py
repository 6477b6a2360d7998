"""stackargs' library face: compile, verify, JIT and run eBPF with 6..12-argument calls.

>>> import pipeline
>>> obj = pipeline.build("examples/sum10.c")      # doctest: +SKIP
>>> pipeline.run(obj, "sum").retval               # doctest: +SKIP
55

See :mod:`pipeline.api` and docs/api.md.  Every failure is a :class:`pipeline.Error`
(``kind``, ``message``, ``location``, ``exit_code``).  The CLI (``python -m pipeline``) is
one client of these functions.
"""

from __future__ import annotations

import importlib

# name -> defining module; imported on first use so `python -m pipeline btf ...` does not pay
# for the verifier, JIT and executors
_EXPORTS = {"build": "api", "load": "api", "verify": "api", "jit": "api", "run": "api",
            "func_specs": "api", "verifier_input": "api", "compile": "compiling", "BPF_F_TEST_STATE_FREQ": "api", "Object": "bpf_object",
            "Program": "bpf_object", "Function": "bpf_object", "Global": "bpf_object",
            "Result": "execute", "Error": "errors"}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'pipeline' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value
