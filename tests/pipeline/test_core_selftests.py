"""The kernel's own CO-RE selftests, relocated by libbpf and by us against the same BTF files.

Linux's tools/testing/selftests/bpf/progs has ``test_core_reloc_*.c`` programs and 69
``btf__core_reloc_*.c`` target "kernels" (flavors with renamed, resized, reordered, missing,
ambiguous, too deep ... members; written by the libbpf authors to pin CO-RE down).  Both come
from Debian's ``linux-source-6.12`` tarball (/usr/src; extracted once into ~/.cache).  Each
program is built by the pipeline, each target by clang with ``-g``; then for every program and
every target of the same family:

* libbpf (the system ``libbpf.so.1``, opened with the ``btf_custom_path`` open option, via
  ctypes below) relocates and loads it into the live kernel;
* ``pipeline`` loads it with ``target_btf=`` the same file.

Both must refuse the same pairs (libbpf's load fails before the kernel sees the program) and
otherwise produce identical instructions (map references aside) and the same verdict.
Skipped without the tarball or without bpf().
"""

from __future__ import annotations

import ctypes
import os
import tarfile
from pathlib import Path

import pytest

import pipeline
from isa import decode
from tests.oracles import kernel as K
from tests.pipeline.test_core_reloc import _normalize

TARBALL = Path("/usr/src/linux-source-6.12.tar.xz")
PROGS = "tools/testing/selftests/bpf/progs/"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "stackargs" \
    / "core-selftests"


class _Opts(ctypes.Structure):
    """struct bpf_object_open_opts (libbpf 1.x) up to kernel_log_level."""
    _fields_ = [("sz", ctypes.c_size_t), ("object_name", ctypes.c_char_p),
                ("relaxed_maps", ctypes.c_bool), ("pin_root_path", ctypes.c_char_p),
                ("_attach_prog_fd", ctypes.c_uint32), ("kconfig", ctypes.c_char_p),
                ("btf_custom_path", ctypes.c_char_p), ("kernel_log_buf", ctypes.c_char_p),
                ("kernel_log_size", ctypes.c_size_t), ("kernel_log_level", ctypes.c_uint32)]


def _libbpf():
    lib = ctypes.CDLL("libbpf.so.1", use_errno=True)
    vp, cp = ctypes.c_void_p, ctypes.c_char_p
    for name, res, args in (("bpf_object__open_file", vp, [cp, vp]),
                            ("bpf_object__load", ctypes.c_int, [vp]),
                            ("bpf_object__close", None, [vp]),
                            ("bpf_object__next_program", vp, [vp, vp]),
                            ("bpf_program__name", cp, [vp]),
                            ("bpf_program__set_autoload", ctypes.c_int, [vp, ctypes.c_bool]),
                            ("bpf_program__insns", vp, [vp]),
                            ("bpf_program__insn_cnt", ctypes.c_size_t, [vp]),
                            ("libbpf_get_error", ctypes.c_long, [vp]),
                            ("libbpf_set_print", vp, [vp])):
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args
    lib.libbpf_set_print(None)
    return lib


def libbpf_load(lib, path: Path, prog: str, btf: Path):
    """(load rc, instructions libbpf produced) for ``prog`` with ``btf_custom_path=btf``."""
    opts = _Opts(sz=ctypes.sizeof(_Opts), btf_custom_path=os.fsencode(btf))
    obj = lib.bpf_object__open_file(os.fsencode(path), ctypes.byref(opts))
    assert obj and not lib.libbpf_get_error(obj), f"libbpf could not open {path}"
    try:
        target = None
        p = lib.bpf_object__next_program(obj, None)
        while p:
            if lib.bpf_program__name(p).decode() == prog:
                target = p
            else:
                lib.bpf_program__set_autoload(p, False)
            p = lib.bpf_object__next_program(obj, p)
        rc = lib.bpf_object__load(obj)
        ptr, cnt = lib.bpf_program__insns(target), lib.bpf_program__insn_cnt(target)
        return rc, ctypes.string_at(ptr, cnt * 8) if ptr and cnt else b""
    finally:
        lib.bpf_object__close(obj)


@pytest.fixture(scope="module")
def progs_dir() -> Path:
    if not TARBALL.exists():
        pytest.skip(f"{TARBALL} not installed (Debian: apt-get install linux-source-6.12)")
    st = TARBALL.stat()
    d = CACHE / f"{st.st_size}-{st.st_mtime_ns}"
    done = d / "complete"
    if not done.exists():
        d.mkdir(parents=True, exist_ok=True)
        with tarfile.open(TARBALL) as tar:
            for m in tar:
                if PROGS in m.name and "core_reloc" in m.name and m.isfile():
                    dst = d / Path(m.name).name
                    dst.write_bytes(tar.extractfile(m).read())
        done.write_text("ok\n")
    return d


def test_kernel_core_selftests_relocate_like_libbpf(progs_dir, tmp_path):
    ok, why = K.kernel_available()
    if not ok:
        pytest.skip(why)
    lib = _libbpf()
    opts = {"include": [progs_dir], "defines": ["__x86_64__"]}
    compared, refused, problems = 0, 0, []
    targets = sorted(progs_dir.glob("btf__core_reloc_*.c"))
    for src in sorted(progs_dir.glob("test_core_reloc_*.c")):
        stem = src.stem[len("test_core_reloc_"):]
        try:
            obj = pipeline.build(src, output=tmp_path / f"{stem}.o", **opts)
        except pipeline.Error:
            continue        # needs what the selftests' build adds (bpf_testmod for 'module')
        family = stem.replace("_direct", "").replace("_probed", "")
        for t in targets:
            tstem = t.stem[len("btf__core_reloc_"):]
            if tstem != family and not tstem.startswith(family + "___"):
                continue
            tobj = tmp_path / f"btf_{tstem}.o"
            if not tobj.exists():
                pipeline.compile(t, tobj, **opts)
            for prog in (p.name for p in obj.raw_elf.programs):
                where = f"{src.name} x {t.name}: {prog}"
                rc, code = libbpf_load(lib, tmp_path / f"{stem}.o", prog, tobj)
                ours = obj.with_load_options(target_btf=tobj)
                try:
                    mine = _normalize(ours.linked(ours.program(prog)).insns)
                except pipeline.Error as e:
                    if rc == 0 or e.kind != "core":
                        problems.append(f"{where}: we refuse ({e}), libbpf rc {rc}")
                    refused += 1
                    continue
                if _normalize(decode(code)) != mine:
                    problems.append(f"{where}: instructions differ (libbpf rc {rc})")
                    continue
                v = pipeline.verify(ours, prog)
                if v.accepted != (rc == 0):
                    problems.append(f"{where}: kernel {'accepts' if rc == 0 else 'rejects'}, "
                                    f"we {'accept' if v.accepted else 'reject'}: {v.error_line}")
                compared += 1
    assert not problems, "\n".join(problems)
    assert compared >= 60 and refused >= 4, (compared, refused)
