"""Oracles for tests that need an authority outside our own code.

- :mod:`oracles.kernel` — the running kernel's bpf() syscall (verdicts, verifier logs,
  verified_insns, test runs), via ctypes and the system libbpf;
- :mod:`oracles.corpus` — the verifier corpus in ``tests/data/verifier_corpus``.

Test files import these with ``tests/`` on ``sys.path`` (pytest runs in importlib mode).
"""
