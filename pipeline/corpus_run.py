"""The run stage of ``python -m toolchain check``: verify, JIT and run corpus objects.

The kernel counterpart is what a selftest does with a BPF object: load it (the verifier
judges it against the kernel's BTF, here the mock kernel plus the corpus's kfunc module
:data:`KMOD`) and ``BPF_PROG_TEST_RUN`` its entry, here on every engine
(``interp``: the reference interpreter, ``unicorn``: the JIT image emulated, ``native``:
the JIT image as machine code in a sandboxed child, x86-64 Linux only).

``toolchain`` may not import ``pipeline`` (a later stage), so the check finds this module
through the ``stackargs.check_runners`` entry point group (pyproject.toml) and talks to it
through plain data only (the protocol of :mod:`toolchain.check`):

- :data:`RUNNER`\\ ``.engines()``: the engines this host can run;
- :data:`RUNNER`\\ ``.prepare()``: build the mock kernel once (its BTF is cached on disk)
  before worker processes start; raises :class:`pipeline.Error` if it cannot;
- :data:`RUNNER`\\ ``.run_object(path, entry, engines)``: ``{"verified": bool,
  "unverified": reason | None, "rejected": verifier message | None, "error": why the
  object could not be loaded | None, "results": {engine: {"value": signed 64-bit r0} |
  {"error": one line} | {"skipped": why}}}``.

An object the verifier rejects is reported as rejected and not run, except when the
kernel would refuse its BTF (``clang -O0`` emits FUNC parameters without names, and the
kernel's BTF check refuses those): the object then cannot load with its BTF anywhere, so
the rejection is not the lowering's fault; it is reported in ``unverified`` and the
object runs unverified on the engines that allow it (``native`` runs verified programs
only).
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import pipeline
from isa.ints import s64

from .bpf_object import mock_kernel

KMOD = Path(__file__).resolve().parent / "check_kfuncs"
ENGINES = ("interp", "unicorn", "native")


def _one_line(text: str) -> str:
    lines = [ln.strip() for ln in str(text).strip().splitlines() if ln.strip()]
    return lines[0] if lines else ""


class CorpusRunner:
    """Runs toolchain corpus objects through the public API on every engine."""

    name = "pipeline"

    def engines(self) -> list[str]:
        native = sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64")
        return [e for e in ENGINES if e != "native" or native]

    def prepare(self) -> None:
        mock_kernel(KMOD)

    def run_object(self, path: str, entry: str, engines) -> dict:
        out = {"verified": False, "unverified": None, "rejected": None, "error": None,
               "results": {}}
        try:
            kernel = mock_kernel(KMOD)      # built once per process
            obj = pipeline.load(path)
            verdict = pipeline.verify(obj, entry, kernel=kernel)
        except pipeline.Error as e:         # not loadable, no such program, bad kfunc module
            out["error"] = _one_line(e.message)
            return out
        verify = True
        if verdict.accepted:
            out["verified"] = True
        elif verdict.btf_refused:
            out["unverified"] = (f"the kernel refuses its BTF ({verdict.btf_refused}); "
                                 f"without BTF: {verdict.error_line}")
            verify = False
        else:
            out["rejected"] = _one_line(verdict.error_line)
            return out
        for engine in engines:
            if engine == "native" and not verify:
                out["results"][engine] = {"skipped": "runs verified programs only"}
                continue
            try:
                r = pipeline.run(obj, entry, engine=engine, kernel=kernel, verify=verify)
                out["results"][engine] = {"value": s64(r.r0)}
            except pipeline.Error as e:
                out["results"][engine] = {"error": _one_line(e.message)}
            except Exception as e:  # noqa: BLE001 - an engine crash is this case's finding
                out["results"][engine] = {"error": f"internal error: {type(e).__name__}: "
                                                   f"{_one_line(e)}"}
        return out


RUNNER = CorpusRunner()
