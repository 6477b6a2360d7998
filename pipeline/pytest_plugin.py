"""The ``stackargs`` pytest plugin: annotated BPF C files as test items, and fixtures.

Active once stackargs is installed (entry point ``pytest11``), it collects nothing until told
which files to collect: the ini option ``stackargs_files`` (globs, one per line or separated by
spaces, relative to the rootdir) or ``--stackargs-files GLOB`` (repeatable).  Each program of
each matching C file becomes one item ``file.c::prog``, judged as ``python -m pipeline test``
judges it (:mod:`pipeline.selftest`); a failure shows the expected and actual verdict or
messages and the verifier log tail.  ``stackargs_cflags`` (ini) adds build flags, e.g.
``-I include``.

Fixtures for hand-written tests, on the public API: ``bpf_build`` (``pipeline.build``),
``bpf_load``, ``bpf_verify``, ``bpf_run`` (``pipeline.run``).
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("stackargs", "BPF programs (stackargs)")
    group.addoption("--stackargs-files", action="append", default=[], metavar="GLOB",
                    help="collect the annotated BPF C files matching GLOB as tests")
    parser.addini("stackargs_files", type="args", default=[],
                  help="globs of annotated BPF C files to collect as tests")
    parser.addini("stackargs_kmod", default="",
                  help="the mock kernel's kfunc module (testmod, testmod_v1, or a path)")
    parser.addini("stackargs_cflags", type="args", default=[],
                  help="compiler flags for the collected BPF C files (-I, -D, -O, clang flags)")


def _globs(config) -> list[str]:
    return list(config.getoption("stackargs_files") or []) + list(config.getini("stackargs_files"))


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix != ".c":
        return None
    globs = _globs(parent.config)
    if not globs:
        return None
    root = Path(str(parent.config.rootpath))
    try:
        rel = file_path.relative_to(root).as_posix()
    except ValueError:
        rel = file_path.as_posix()
    if any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(str(file_path), g) for g in globs):
        return BpfFile.from_parent(parent, path=file_path)
    return None


def _build_options(config) -> dict:
    """-I/-D/-O/--mcpu out of ``stackargs_cflags``; the rest goes to clang verbatim."""
    opts = {"include": [], "defines": [], "cflags": []}
    args = list(config.getini("stackargs_cflags"))
    it = iter(args)
    for a in it:
        for flag, key in (("-I", "include"), ("-D", "defines")):
            if a.startswith(flag):
                opts[key].append(a[2:] or next(it))
                break
        else:
            if a.startswith("-O") and len(a) > 2:
                opts["opt"] = a[2:]
            elif a.startswith("--mcpu"):
                opts["mcpu"] = a.partition("=")[2] or next(it)
            else:
                opts["cflags"].append(a)
    return opts


def _runner(config):
    from .selftest import Runner
    r = getattr(config, "_stackargs_runner", None)
    if r is None:
        kmod = config.getini("stackargs_kmod") or None
        if kmod and ("/" in kmod or kmod.endswith(".py")):
            kmod = str(Path(str(config.rootpath)) / kmod)
        r = config._stackargs_runner = Runner(build_options=_build_options(config), kernel=kmod)
    return r


class BpfFile(pytest.File):
    def collect(self):
        from .errors import Error
        runner = _runner(self.config)
        try:
            obj = runner.load(self.path)
        except Error as e:
            raise self.CollectError(f"{self.path}: {e}") from None
        for prog, spec in runner.programs(obj):
            yield BpfProgram.from_parent(self, name=prog.name, obj=obj, prog=prog, spec=spec)


class BpfProgram(pytest.Item):
    def __init__(self, *, obj, prog, spec, **kw):
        super().__init__(**kw)
        self.obj, self.prog, self.spec = obj, prog, spec

    def runtest(self):
        # the privileged load is the test (an unprivileged variant is not modelled)
        out = _runner(self.config).judge(self.obj, self.prog, self.spec, str(self.path))
        if out.status == "SKIP":
            pytest.skip(out.reason)
        if out.status == "FAIL":
            raise BpfFailure(out)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, BpfFailure):
            o = excinfo.value.outcome
            lines = [f"{o.file}:{o.prog}: {o.reason}"]
            if o.expected:
                lines += ["expected:", *("    " + x for x in o.expected.splitlines())]
            if o.actual:
                lines += ["actual:", *("    " + x for x in o.actual.splitlines())]
            if o.log:
                lines += ["verifier log (tail):",
                          *("    " + x for x in o.log.splitlines()[-15:])]
            return "\n".join(lines)
        return super().repr_failure(excinfo)


class BpfFailure(Exception):
    def __init__(self, outcome):
        super().__init__(outcome.reason)
        self.outcome = outcome


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture
def bpf_build(tmp_path):
    """``bpf_build(path_or_source_text, **build_options) -> pipeline.Object``: a path builds
    that file; a string containing a newline is written to a temporary .c file first."""
    import pipeline

    def build(src, **options):
        if isinstance(src, str) and "\n" in src:
            path = tmp_path / f"prog{len(list(tmp_path.glob('prog*.c')))}.c"
            path.write_text(src)
            src = path
        return pipeline.build(src, output=Path(tmp_path) / (Path(src).stem + ".bpf.o"),
                              **options)
    return build


@pytest.fixture
def bpf_load():
    """``pipeline.load``."""
    import pipeline
    return pipeline.load


@pytest.fixture
def bpf_verify():
    """``pipeline.verify``."""
    import pipeline
    return pipeline.verify


@pytest.fixture
def bpf_run():
    """``pipeline.run``."""
    import pipeline
    return pipeline.run

