"""The library face (DESIGN §1): build, load, verify, JIT and run, as functions on plain data.

::

    import pipeline
    obj = pipeline.build("examples/sum10.c")          # or pipeline.load("foo.bpf.o")
    v   = pipeline.verify(obj, "sum")                  # verifier.Verdict
    img = pipeline.jit(obj, "sum", verdict=v)          # jit.Image
    res = pipeline.run(obj, "sum")                     # pipeline.Result: res.retval == 55

Each stage is the kernel's: ``verify`` is ``BPF_PROG_LOAD``'s verifier on what libbpf would
send (:mod:`pipeline.prog_load`), ``jit`` is the x86-64 JIT fed with the verifier's facts,
``run`` is ``BPF_PROG_TEST_RUN``.  Every problem is a :class:`pipeline.Error`.  The CLI
(:mod:`pipeline.cli`), the tests and the benchmarks use only these functions.
"""

from __future__ import annotations

import atexit
import shutil
import stat
import tempfile
from pathlib import Path

from btf import kinds as BK
from btf.fixup import apply_func_names
from isa.uapi import BPF_F_TEST_STATE_FREQ  # noqa: F401 - pipeline.BPF_F_TEST_STATE_FREQ
from isa.uapi import helper_name
from jit import FuncSpec, JitError
from jit import jit as _jit
from verifier import verify as _verify
from verifier.log import check_log_attrs

from . import prog_arrays
from .bpf_object import Object, Program, open_object
from .compiling import compile, is_c_source  # noqa: F401 - pipeline.compile; the CLI's
from .errors import BAD_INPUT, REJECTED, UserError
from .execute import MAX_INSNS, Result, default_engine, execute
from .load_time import fixup_verifier_log, target_kernel_btf
from .kernel import helpers as kernel_helpers
from .prog_load import build_input
from .testrun import TestRun, initial_sections

_scratch_dir: Path | None = None
_built = 0


def _scratch() -> Path:
    """A per-process directory for objects built from C without an output path."""
    global _scratch_dir
    if _scratch_dir is None:
        _scratch_dir = Path(tempfile.mkdtemp(prefix="stackargs-"))
        atexit.register(shutil.rmtree, _scratch_dir, True)
    return _scratch_dir


def build(path: str | Path, *, opt: int | str = 2, include=(), defines=None, cflags=(),
          mcpu: str = "v3", output: str | Path | None = None, target_btf=None,
          kconfig=None, cache: bool = False) -> Object:
    """Compile the C file ``path`` for BPF (stack arguments lowered when the compiler lacks
    them) and load the object.  ``defines``: ``{"NAME": value}`` (None: no value) or an
    iterable of ``"NAME[=V]"``; ``cflags``: further clang flags, verbatim; ``output``: where
    the object goes (default: a per-process scratch directory); ``target_btf``/``kconfig``:
    as for :func:`load`; ``cache``: as for :func:`compile`."""
    global _built
    src = Path(path)
    if output is None:
        _built += 1     # one file per build: an earlier Object's path stays its own
        output = _scratch() / f"{src.stem}.{_built}.bpf.o"
    out = Path(output)
    result = compile(src, out, opt=opt, include=include, defines=defines, cflags=cflags,
                     mcpu=mcpu, cache=cache)
    return open_object(out, source=str(src), build=result, target_btf=target_btf,
                       kconfig=kconfig)


MAX_OBJECT_SIZE = 256 << 20     # bytes: the largest ELF object load() reads
MAX_REPEAT = (1 << 32) - 1      # BPF_PROG_TEST_RUN's repeat is a __u32


def load(path: str | Path, *, target_btf=None, kconfig=None, **build_options) -> Object:
    """A BPF ELF object from ``path``; a ``.c`` file is built first (``build_options`` as
    for :func:`build`).  The file must be a regular file of at most :data:`MAX_OBJECT_SIZE`
    bytes starting with the ELF magic, checked before it is read whole.  libbpf's open
    options: ``target_btf`` is the BTF CO-RE relocations are resolved against (None: the
    mock kernel's; ``"vmlinux"``: this machine's ``/sys/kernel/btf/vmlinux``; a path to raw
    BTF or an object with ``.BTF``; a ``btf.Btf``); ``kconfig`` gives ``__kconfig`` externs
    their values (a .config path, plain or gzip, or ``{"CONFIG_X": "y", ...}``; unset ones
    come from the target kernel's config)."""
    if is_c_source(path):
        return build(path, target_btf=target_btf, kconfig=kconfig, **build_options)
    check_input_file(path)
    return open_object(path, target_btf=target_btf, kconfig=kconfig)


ELF_MAGIC = b"\x7fELF"
BTF_MAGIC = b"\x9f\xeb"          # 0xeB9F, little-endian


def check_input_file(path: str | Path, magics: tuple[bytes, ...] = (ELF_MAGIC,)) -> None:
    """Refuse, before reading it whole, a path that is not a regular file of at most
    :data:`MAX_OBJECT_SIZE` bytes starting with one of ``magics``."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise UserError("io", f"{p}: no such file", str(p), BAD_INPUT) from None
    except OSError as e:
        raise UserError("io", f"{p}: {e.strerror}", str(p), BAD_INPUT) from None
    if stat.S_ISDIR(st.st_mode):
        raise UserError("io", f"{p}: is a directory", str(p), BAD_INPUT)
    if not stat.S_ISREG(st.st_mode):
        raise UserError("io", f"{p}: not a regular file", str(p), BAD_INPUT)
    if st.st_size > MAX_OBJECT_SIZE:
        raise UserError("io", f"{p}: {st.st_size} bytes is over the {MAX_OBJECT_SIZE >> 20} MiB "
                              "limit for an object file", str(p), BAD_INPUT)
    try:
        with open(p, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise UserError("io", f"{p}: {e.strerror}", str(p), BAD_INPUT) from None
    if not any(magic.startswith(m) for m in magics):
        what = "an ELF file" if magics == (ELF_MAGIC,) else "an ELF or raw BTF file"
        raise UserError("elf", f"{p}: not {what} (bad magic)", str(p), BAD_INPUT)


def _object(obj) -> Object:
    """An API Object from an Object, a path, or a loader object (pipeline.loader.Object)."""
    if isinstance(obj, Object):
        return obj
    if isinstance(obj, (str, Path)):
        return load(obj)
    return Object(obj)


def _configured(obj, prog, target_btf, kconfig, kernel):
    """(object, program) under these load options.  Without an explicit ``target_btf`` the
    CO-RE target of an object opened without one is the mock kernel passed as ``kernel``."""
    obj = _object(obj)
    if target_btf is None and kernel is not None and obj.target_btf is None \
            and obj.btf_ext is not None and any(obj.btf_ext.core_relos.values()):
        from .bpf_object import mock_kernel
        target_btf = kernel if not isinstance(kernel, (str, Path)) else mock_kernel(kernel)
    new = obj.with_load_options(target_btf=target_btf, kconfig=kconfig)
    if new is not obj and isinstance(prog, Program):
        prog = prog.name
    return new, new.program(prog)


def _func_names_btf(btf_func_path):
    """The BTF whose FUNCs name parameters: an Object, a ``btf.Btf``, or a path (C or ELF)."""
    if btf_func_path is None or hasattr(btf_func_path, "types"):
        return btf_func_path
    return _object(btf_func_path).btf


def verifier_input(obj, prog=None, *, kernel=None, flags: int = 0, globals: dict | None = None,
                   btf_func_path=None, target_btf=None, kconfig=None):
    """The :class:`verifier.VerifierInput` that :func:`verify` hands the verifier (libbpf's
    ``BPF_PROG_LOAD`` attributes), for callers that adjust it before verifying.
    ``btf_func_path``: the selftests' ``__btf_func_path`` companion (an Object, a
    ``btf.Btf`` or a path) naming the parameters that clang leaves unnamed in naked
    functions; without names the kernel refuses the program's BTF.  ``target_btf``,
    ``kconfig``: libbpf's open options (see :func:`load`), for this call."""
    obj, p = _configured(obj, prog, target_btf, kconfig, kernel)
    values = initial_sections(obj, globals) if globals else None
    inp = build_input(obj, p, kernel=kernel, prog_flags=flags, data_values=values)
    names = _func_names_btf(btf_func_path)
    if names is not None and inp.btf is not None:
        inp.btf, _ = apply_func_names(inp.btf, names)
    return inp


def check_log_options(log_level: int, log_size: int | None = None, log=None) -> None:
    """Refuse the log options :func:`verify` refuses (the kernel's EINVAL for log attributes:
    bpf_vlog_init), with a :class:`pipeline.Error`; for callers that check before output."""
    problem = check_log_attrs(log_level, log_size)
    if problem is None and log is not None and not log_level:
        problem = "a log stream needs log_level 1 or 2"
    if problem is None and log is not None and not callable(getattr(log, "write", None)):
        problem = f"log: {type(log).__name__} is not a text stream (no write method)"
    if problem:
        raise UserError("usage", problem, None, BAD_INPUT)


def verify(obj, prog=None, *, log_level: int = 0, kernel=None, flags: int = 0,
           globals: dict | None = None, btf_func_path=None, target_btf=None, kconfig=None,
           log=None, log_size: int | None = None):
    """Verify one program (default: the first) as ``BPF_PROG_LOAD`` would; returns the
    :class:`verifier.Verdict` whether accepted or not.  ``kernel``: a
    :class:`pipeline.kernel.Registry` (default: the built-in mock kernel); ``flags``:
    ``prog_flags`` (e.g. ``BPF_F_TEST_STATE_FREQ``); ``globals``: values written to global
    variables before load (a frozen ``.rodata``'s contents are constants to the verifier);
    ``btf_func_path``, ``target_btf``, ``kconfig``: as for :func:`verifier_input`.
    ``log_level``: 0, 1, 2, plus 4 for the BPF_LOG_STATS lines; ``log``: a text stream (a
    file, ``sys.stdout``) the log is written to while it is produced, so a huge level-2 log
    is never held whole (``Verdict.log`` is then empty, and libbpf's rewrite of a failed
    CO-RE relocation's lines applies to the error message only); ``log_size``: the
    kernel's ``log_size``: the log keeps its last ``log_size - 1`` bytes and a longer log
    fails the load with ENOSPC."""
    check_log_options(log_level, log_size, log)
    obj, p = _configured(obj, prog, target_btf, kconfig, kernel)
    v = _verify(verifier_input(obj, p, kernel=kernel, flags=flags, globals=globals,
                               btf_func_path=btf_func_path), log_level, log, log_size)
    return fixup_verifier_log(obj, p, v)


def func_specs(prog: Program, verdict=None) -> list[FuncSpec]:
    """What the JIT knows about each function: from the verifier's facts when a verdict is
    given (as the kernel's JIT takes them from ``env->subprog_info``), else from BTF."""
    if verdict is not None and verdict.accepted:
        names = {f.start: f.name for f in prog.functions}
        return [FuncSpec(s.start, names.get(s.start, s.name), s.stack_depth, s.stack_arg_cnt,
                         s.out_stack_arg_cnt) for s in verdict.subprogs]
    return [FuncSpec(f.start, f.name, None, f.stack_arg_slots) for f in prog.functions]


def jit(obj, prog=None, *, verdict=None, kernel=None, verified: bool = True, target_btf=None,
        kconfig=None):
    """The x86-64 :class:`jit.Image` of one program.  The kernel JITs only what it verified:
    without ``verdict`` the program is verified first (a rejection raises), unless
    ``verified=False``, which JITs with facts from BTF (the 512-byte stack maximum);
    ``target_btf``, ``kconfig``: as for :func:`load`."""
    obj, p = _configured(obj, prog, target_btf, kconfig, kernel)
    if verdict is None and verified:
        verdict = verify(obj, p, kernel=kernel)
    if verdict is not None and not verdict.accepted:
        raise _rejected(p, verdict)
    linked = obj.linked(p, kernel)
    try:
        # the kernel removes what the verifier proved dead; so does the JIT here
        seen = verdict.seen_insns if verdict is not None and verdict.seen_insns else None
        return _jit(list(linked.insns), func_specs(p, verdict), seen=seen)
    except JitError as e:
        raise UserError("jit", f"{obj.path}: program {p.name}: {e}", obj.path, REJECTED) from None


def run(obj, prog=None, *, data: bytes | None = None, globals: dict | None = None, verdict=None,
        engine: str | None = None, kernel=None, repeat: int = 1, verify: bool = True,
        max_insns: int = MAX_INSNS, prog_array: dict | None = None,
        timeout: float | None = None, btf_func_path=None, ctx: dict | None = None,
        target_btf=None, kconfig=None) -> Result:
    """Verify, JIT and run one program like ``BPF_PROG_TEST_RUN``: ``data`` is the packet
    (skb/xdp programs) or context bytes (default: the selftests' 64 zero bytes); ``ctx``:
    ``__sk_buff`` / ``xdp_md`` fields set as the kernel's ctx_in sets them
    (``{"mark": 7, "cb[0]": 1}``; a field the kernel refuses is a usage error);
    ``globals`` are written before load (``{"name": int | bytes | "hex:.."}``);
    ``verdict``: this program's accepted :class:`verifier.Verdict` from :func:`verify`
    (same ``kernel`` and ``globals``), used instead of verifying again (one verification
    for runs on several engines);
    ``prog_array``: ``{map: {index: program}}`` slots of prog arrays, on top of the
    object's ``.values`` initialisers (tail-call targets are verified and JITed too);
    ``engine``: ``unicorn`` (the JIT image emulated), ``interp`` (the reference
    interpreter) or ``native`` (the JIT image as machine code in a child process, x86-64
    Linux, verified programs only); None (the default): ``native`` on x86-64 Linux hosts,
    ``unicorn`` elsewhere and with ``verify=False``; ``repeat``: 1 to 2**32 - 1 runs (the
    kernel's u32); ``timeout``: wall-clock seconds for all of them (default 10 on native and
    on unicorn for verified programs; none on interp and unverified unicorn, where
    ``max_insns`` bounds each run); ``btf_func_path``, ``target_btf``, ``kconfig`` as for
    :func:`verifier_input`.  The program and its tail-call targets are verified before
    anything sized by the object is allocated; maps, global data and ``data`` together may
    take :data:`pipeline.testrun.MEMORY_LIMIT` bytes, and a helper the mock kernel cannot
    run (or, for a program loaded with another kernel's ``target_btf``, a kfunc handing out
    mock-kernel objects) is refused before the run."""
    obj, p = _configured(obj, prog, target_btf, kconfig, kernel)
    if p.type in ("tracing", "lsm", "struct_ops"):
        # their context is a kernel event's arguments (kernel objects): nothing to run on
        kind = p.section.lstrip("?").split("/", 1)[0]
        what = ("kernel events" if p.type != "struct_ops" else
                "calls from the kernel subsystem whose ops they implement")
        raise UserError("runtime", f"program {p.name}: cannot run: {kind} programs run on "
                                   f"{what}, which the mock kernel's test run does not model",
                        p.section, REJECTED)
    if not 1 <= repeat <= MAX_REPEAT:
        raise UserError("usage", f"repeat must be between 1 and {MAX_REPEAT} (the kernel's "
                                 f"u32), got {repeat}", None, BAD_INPUT)
    if engine == "native" and not verify:
        raise UserError("usage", "engine 'native' runs only verified programs (drop "
                                 "verify=False / --no-verify)", None, BAD_INPUT)
    # everything sized by the object or the input is allocated after verification
    arrays = prog_arrays.resolve(obj, p, prog_array)
    initial = initial_sections(obj, globals)
    names = _func_names_btf(btf_func_path) if verify else None
    engine, reuse = engine or default_engine(verify), verdict
    loaded = {}
    for name in [p.name, *prog_arrays.targets(arrays, p.name)]:
        tp = obj.program(name)
        verdict = None
        if verify:
            inp = build_input(obj, tp, kernel=kernel, data_values=initial)
            if names is not None and inp.btf is not None:
                inp.btf, _ = apply_func_names(inp.btf, names)
            verdict = reuse if reuse is not None and name == p.name \
                else fixup_verifier_log(obj, tp, _verify(inp, 1))
            if not verdict.accepted:
                raise _rejected(tp, verdict)
        linked = obj.linked(tp, kernel)
        _check_helpers(tp, linked.insns, verdict)
        _check_kernel_objects(obj, tp, linked, verdict)
        image = jit(obj, tp, verdict=verdict, kernel=kernel, verified=False) \
            if engine in ("unicorn", "native") else None
        loaded[name] = (linked, image, verdict)
    test_run = TestRun(obj, p, data, globals, ctx)
    test_run.prog_arrays = arrays
    linked, image, verdict = loaded.pop(p.name)
    return execute(obj, p, linked, image=image, verdict=verdict, engine=engine,
                   repeat=repeat, max_insns=max_insns, run=test_run,
                   targets={n: (t[0], t[1]) for n, t in loaded.items()}, timeout=timeout)


def _check_helpers(p: Program, insns, verdict) -> None:
    """Refuse, before the run, a program calling a helper the mock kernel cannot run (a
    verified program's dead code does not count: it never runs)."""
    seen = verdict.seen_insns if verdict is not None and verdict.seen_insns else None
    missing = kernel_helpers.unimplemented_calls(insns, seen)
    if missing:
        pc, hid = missing[0]
        raise UserError("runtime", f"program {p.name}: cannot run: insn {pc} calls "
                                   f"{helper_name(hid) or f'helper {hid}'} (helper {hid}): "
                                   f"{kernel_helpers.why_not(hid)}", f"insn {pc}", REJECTED)


def _check_kernel_objects(obj, p: Program, linked, verdict) -> None:
    """Refuse, before the run, a program loaded for another kernel's BTF (``target_btf``)
    that gets kernel objects from kfuncs: its CO-RE offsets are that kernel's, the objects
    the mock kernel hands out are laid out as the mock kernel's BTF says."""
    if linked.kernel is None or verdict is None or not verdict.kfunc_calls \
            or target_kernel_btf(obj.target_btf) is None:
        return
    kbtf = linked.kernel.kernel.btf
    for pc, call in sorted(verdict.kfunc_calls.items()):
        proto = linked.kernel.kfunc(call["name"]).proto
        t = kbtf.types[proto.ret_type_id] if proto.ret_type_id else None
        while t is not None and t.kind in (BK.TYPEDEF, BK.CONST,
                                           BK.VOLATILE, BK.PTR):
            t = kbtf.types[t.type] if t.type else None
        if t is not None and t.kind in (BK.STRUCT, BK.UNION):
            raise UserError("runtime", f"program {p.name}: cannot run: insn {pc} calls "
                                       f"{call['name']}, which returns a mock-kernel object "
                                       f"(struct {t.name}) while the program's CO-RE "
                                       f"offsets are for {obj.target_btf}: run it without "
                                       f"a target BTF", f"insn {pc}", REJECTED)


def _rejected(p: Program, v) -> UserError:
    where = None if v.error is None or v.error.insn is None else f"insn {v.error.insn}"
    hint = ""
    if "kernel btf_id 0 is not a function" in v.error_line:
        hint = " (a kfunc extern the mock kernel does not have)"
    return UserError("verifier", f"program {p.name} rejected by the verifier: "
                                 f"{v.error_line}{hint}", where, REJECTED)
