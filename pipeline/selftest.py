"""Kernel selftest annotations, judged the way the kernel's ``test_loader.c`` judges them.

A BPF C file annotated with ``bpf_misc.h``'s macros (``__success``, ``__failure``,
``__msg("...")`` with ``{{regex}}`` parts, ``__not_msg``, ``__retval(N)``, ``__log_level(N)``,
``__flag(BPF_F_...)``, ``__btf_func_path("btf__x.bpf.o")``, ``__description``,
``__auxiliary``) carries them as BTF decl tags (:mod:`btf.annotations`).  For each program:

- it is verified on its own (as ``RUN_TESTS`` loads it) with the annotated log level and
  program flags; a program without annotations is expected to load;
- ``__success``/``__failure`` decide the expected verdict; ``__msg`` patterns must appear in
  the log in order, each searched after the end of the previous match; ``__not_msg`` must
  not appear between the matches around it (here: anywhere after the previous match);
- ``__retval`` runs an accepted program once on 64 zero bytes (``TEST_DATA_LEN``) and compares
  the u32 result (``POINTER_VALUE`` accepts anything, as test_loader does);
- ``__btf_func_path`` first gives anonymous parameters of naked functions the companion
  object's names (:mod:`btf.fixup`); the companion is built from ``btf__x.c`` beside the
  source when no object exists;
- expectations this model does not check (unprivileged variants, ``__xlated``, ``__jited``,
  stderr/stdout, other architectures) make the program SKIP, named, never a silent PASS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from btf.annotations import program_annotations
from btf.fixup import apply_func_names
from isa.ints import U32
from isa.uapi import PROG_FLAGS

from .errors import Error

TEST_DATA_LEN = 64
POINTER_VALUE = 0xBADCAFE
# bpf_misc.h names a __retval may stringize to
_RETVAL_NAMES = {"POINTER_VALUE": POINTER_VALUE, "TEST_DATA_LEN": TEST_DATA_LEN,
                 "_INT_MIN": -(1 << 31), "INT_MIN": -(1 << 31), "INT_MAX": (1 << 31) - 1}
_UNPRIV = {"test_expect_failure_unpriv", "test_expect_success_unpriv", "test_expect_msg_unpriv",
           "test_expect_not_msg_unpriv", "test_retval_unpriv", "test_expect_xlated_unpriv",
           "test_jited_unpriv", "test_expect_stderr_unpriv", "test_expect_stdout_unpriv"}
_NOT_MODELLED = {"test_expect_xlated": "__xlated", "test_jited": "__jited",
                 "test_expect_stderr": "__stderr", "test_expect_stdout": "__stdout",
                 "test_load_mode": "__load_mode", "test_linear_size": "__linear_size"}
_IGNORED = {"test_btf_path", "test_caps_unpriv", "test_description", "test_auxiliary"}


@dataclass
class Spec:
    """One program's expectations."""
    description: str | None = None
    expect_failure: bool = False
    msgs: list[tuple[str, bool]] = field(default_factory=list)   # (pattern, is "not" msg)
    retval: int | None = None
    log_level: int = 0
    prog_flags: int = 0
    btf_func_path: str | None = None
    auxiliary: bool = False
    unpriv: bool = False
    not_modelled: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    file: str
    prog: str
    status: str                      # PASS | FAIL | SKIP
    reason: str = ""
    expected: str = ""               # for a failure: what the annotations asked
    actual: str = ""                 # ... and what happened
    log: str = ""

    def line(self) -> str:
        return f"{self.status} {self.file}:{self.prog}" + (f" {self.reason}" if self.reason else "")


def parse_spec(annotations) -> Spec:
    s = Spec()
    for a in annotations:
        k, v = a.key, a.value
        if k == "test_expect_failure":
            s.expect_failure = True
        elif k == "test_expect_success":
            s.expect_failure = False
        elif k in ("test_expect_msg", "test_expect_not_msg"):
            s.msgs.append((v or "", k == "test_expect_not_msg"))
        elif k == "test_retval":
            s.retval = retval_value(v or "0")
        elif k == "test_log_level":
            s.log_level = int(v or "0", 0)
        elif k == "test_prog_flags":
            for part in (v or "").split("|"):
                part = part.strip()
                s.prog_flags |= PROG_FLAGS[part] if part in PROG_FLAGS else int(part, 0)
        elif k == "test_btf_func_path":
            s.btf_func_path = v
        elif k == "test_description":
            s.description = v
        elif k == "test_auxiliary":
            s.auxiliary = True
        elif k in _UNPRIV:
            s.unpriv = True
        elif k == "test_arch":
            if (v or "").upper() not in ("X86_64", "X86-64"):
                s.not_modelled.append(f"__arch_{v.lower()}")
        elif k in _NOT_MODELLED:
            s.not_modelled.append(_NOT_MODELLED[k])
        elif k not in _IGNORED:
            s.not_modelled.append(k)
    return s


def retval_value(text: str) -> int:
    t = text.strip().strip("()")
    if t in _RETVAL_NAMES:
        return _RETVAL_NAMES[t]
    if t.startswith("-") and t[1:].strip() in _RETVAL_NAMES:
        return -_RETVAL_NAMES[t[1:].strip()]
    return int(t, 0)


def msg_regex(pattern: str) -> str:
    """test_loader's __msg: literal text; ``{{...}}`` parts are extended regexes."""
    return "".join(part if i % 2 else re.escape(part)
                   for i, part in enumerate(re.split(r"\{\{(.*?)\}\}", pattern)))


def match_msgs(log: str, msgs: list[tuple[str, bool]]) -> str | None:
    """None when every expected message appears in order (and no excluded one follows the
    previous match); else what went wrong."""
    pos = 0
    for pattern, negative in msgs:
        m = re.compile(msg_regex(pattern), re.M).search(log, pos)
        if negative:
            if m:
                return f"unexpected message found: {pattern!r}"
            continue
        if not m:
            return f"expected message not found: {pattern!r}"
        pos = m.end()
    return None


class Runner:
    """Judges annotated programs; ``build_options`` build C files and companions;
    ``load_options`` are libbpf's open options (``target_btf``, ``kconfig``)."""

    def __init__(self, *, kernel=None, build_options: dict | None = None,
                 load_options: dict | None = None):
        self.kernel = kernel
        self.build_options = build_options or {}
        self.load_options = load_options or {}
        self._companions: dict[Path, object] = {}

    def load(self, path: str | Path):
        from .api import is_c_source, load
        if is_c_source(path):
            return load(path, **self.load_options, **self.build_options)
        return load(path, **self.load_options)

    def programs(self, obj) -> list:
        """(program, spec) for every test program of ``obj`` (auxiliary ones are not tests)."""
        ann = program_annotations(obj.btf) if obj.btf is not None else {}
        out = []
        for p in obj.programs:
            spec = parse_spec(ann.get(p.name, ()))
            if not spec.auxiliary:
                out.append((p, spec))
        return out

    def run_file(self, path: str | Path) -> list[Outcome]:
        name = str(path)
        try:
            obj = self.load(path)
        except Error as e:
            return [Outcome(name, "-", "FAIL", f"{e.kind} error: {e}", actual=str(e))]
        outcomes = []
        for prog, spec in self.programs(obj):
            outcomes.append(self.judge(obj, prog, spec, name))
            if spec.unpriv:
                outcomes.append(Outcome(name, prog.name + " (unpriv)", "SKIP",
                                        "unprivileged loading is not modelled"))
        if not outcomes:
            outcomes.append(Outcome(name, "-", "SKIP", "no programs"))
        return outcomes

    def judge(self, obj, prog, spec: Spec, name: str) -> Outcome:
        from verifier import verify

        from .api import run, verifier_input
        from .load_time import fixup_verifier_log
        label = prog.name
        if spec.not_modelled:
            return Outcome(name, label, "SKIP",
                           f"expectations not modelled: {', '.join(spec.not_modelled)}")
        try:
            inp = verifier_input(obj, prog, kernel=self.kernel, flags=spec.prog_flags)
            if spec.btf_func_path:
                inp.btf, _ = apply_func_names(inp.btf, self.companion(obj, spec.btf_func_path))
        except Error as e:
            return Outcome(name, label, "FAIL", f"load failed: {e}", actual=str(e))
        level = spec.log_level or (1 if spec.msgs or spec.expect_failure else 0)
        v = fixup_verifier_log(obj, prog, verify(inp, level))    # libbpf's log fix-ups
        want = "rejected" if spec.expect_failure else "accepted"
        got = "accepted" if v.accepted else f"rejected: {v.error_line}"
        if v.btf_refused:
            got += f" (program BTF refused: {v.btf_refused})"
        if v.accepted == spec.expect_failure:
            return Outcome(name, label, "FAIL", f"expected {want}, {got}", want, got, v.log)
        problem = match_msgs(v.log, spec.msgs)
        if problem:
            return Outcome(name, label, "FAIL", problem,
                           "\n".join(("not " if n else "") + p for p, n in spec.msgs), got, v.log)
        if spec.retval is not None and v.accepted:
            try:
                res = run(obj, prog, data=bytes(TEST_DATA_LEN), kernel=self.kernel,
                          btf_func_path=self.companion(obj, spec.btf_func_path)
                          if spec.btf_func_path else None)
            except Error as e:
                return Outcome(name, label, "FAIL", f"run failed: {e}", f"retval {spec.retval}",
                               str(e), v.log)
            if spec.retval != POINTER_VALUE and res.retval != spec.retval & U32:
                return Outcome(name, label, "FAIL",
                               f"retval {res.retval}, expected {spec.retval & U32}",
                               f"retval {spec.retval & U32}", f"retval {res.retval}", v.log)
        return Outcome(name, label, "PASS", spec.description or "")

    def companion(self, obj, rel: str):
        """The companion object's BTF: ``rel`` beside the object, or built from its C."""
        base = Path(obj.source or obj.elf.path).parent
        path = base / rel
        if path not in self._companions:
            if not path.exists():
                c = base / (rel[:-len(".bpf.o")] + ".c" if rel.endswith(".bpf.o")
                            else Path(rel).with_suffix(".c").name)
                if not c.exists():
                    from .errors import BAD_INPUT, UserError
                    raise UserError("io", f"__btf_func_path: neither {path} nor {c} exists",
                                    str(path), BAD_INPUT)
                path_obj = self.load(c)
            else:
                path_obj = self.load(path)
            self._companions[path] = path_obj.btf
        return self._companions[path]


def summary(outcomes: list[Outcome]) -> str:
    n = {s: sum(o.status == s for o in outcomes) for s in ("PASS", "FAIL", "SKIP")}
    return f"{n['PASS']} passed, {n['FAIL']} failed, {n['SKIP']} skipped"
