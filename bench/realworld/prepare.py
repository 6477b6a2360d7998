"""Prepare the real-world corpus: the Linux BPF selftests' programs, built as their Makefile does.

Counterpart: ``tools/testing/selftests/bpf/Makefile`` of Linux 6.12 (the ``CLANG_BPF_BUILD_RULE``
of the default ``test_progs`` flavour) and ``tools/lib/bpf`` (libbpf 1.5, the loader the
kernel side uses).  Nothing here lands in the repository: everything goes to the cache
directory (default ``~/.cache/stackargs-realworld``, or ``$STACKARGS_REALWORLD_CACHE``).

Steps, each skipped when its output is already there:

1. ``apt-get install -y linux-source-6.12`` (Debian's package; the tarball lands in /usr/src);
2. extract only ``tools/testing/selftests/bpf``, ``tools/lib``, ``tools/include``,
   ``tools/arch``, ``tools/build``, ``tools/scripts``, ``include/uapi`` and ``scripts/bpf_doc.py``;
3. build the in-tree libbpf (``make -C tools/lib/bpf``: ``libbpf.so.1`` and the generated
   ``bpf_helper_defs.h``) and install its headers into ``include/bpf``;
4. ``bpftool btf dump file /sys/kernel/btf/vmlinux format c > include/vmlinux.h``;
5. compile every ``progs/*.c`` with ``clang-22 -g -Wall -Werror -D__TARGET_ARCH_x86
   -mlittle-endian -I include -I selftests/bpf -I tools/include/uapi
   -Wno-compare-distinct-pointer-types <clang's system includes as -idirafter>
   -DENABLE_ATOMICS_TESTS <per-file CFLAGS> -O2 --target=bpf -c -mcpu=v3``.
   Files that do not compile are recorded in ``objs/compile-failures.txt`` with clang's first
   error line, and skipped.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tarfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SOURCE_PKG = "linux-source-6.12"
TARBALL = Path("/usr/src/linux-source-6.12.tar.xz")
TOP = "linux-source-6.12"
EXTRACT = ("tools/testing/selftests/bpf/", "tools/lib/", "tools/include/", "tools/arch/",
           "tools/build/", "tools/scripts/", "include/uapi/", "scripts/bpf_doc.py")
CLANG = os.environ.get("CLANG", "clang-22")
BPFTOOL = os.environ.get("BPFTOOL", "bpftool")
VMLINUX_BTF = Path("/sys/kernel/btf/vmlinux")


class PrepareError(Exception):
    """A preparation step failed; the message names the step and the command."""


def cache_dir() -> Path:
    return Path(os.environ.get("STACKARGS_REALWORLD_CACHE",
                               Path.home() / ".cache" / "stackargs-realworld"))


class Corpus:
    """Paths inside the cache directory."""

    def __init__(self, root: Path | None = None):
        self.root = root or cache_dir()
        self.src = self.root / TOP
        self.selftests = self.src / "tools/testing/selftests/bpf"
        self.progs = self.selftests / "progs"
        self.libbpf_dir = self.src / "tools/lib/bpf"
        self.libbpf_so = self.libbpf_dir / "libbpf.so.1"
        self.include = self.root / "include"
        self.vmlinux_h = self.include / "vmlinux.h"
        self.objs = self.root / "objs"
        self.failures = self.objs / "compile-failures.txt"

    def objects(self, only: str | None = None) -> list[Path]:
        objs = sorted(self.objs.glob("*.bpf.o"))
        if only:
            objs = [o for o in objs if selected(only, o.name[:-len(".bpf.o")], o.name)]
        return objs


def selected(only: str, *names: str) -> bool:
    """Whether one of ``names`` matches one of the comma-separated globs ``only``."""
    return any(fnmatch.fnmatch(n, g) for g in only.split(",") if g for n in names)


def _run(cmd: list[str], what: str, **kw) -> subprocess.CompletedProcess:
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    except FileNotFoundError:
        raise PrepareError(f"{what}: {cmd[0]} not found") from None
    if res.returncode != 0:
        tail = (res.stderr or res.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise PrepareError(f"{what}: `{' '.join(cmd[:4])} ...` exited {res.returncode}: {tail[0]}")
    return res


def ensure_source(c: Corpus, log) -> None:
    if c.progs.is_dir() and (c.src / "include/uapi").is_dir():
        return
    if not TARBALL.exists():
        log(f"installing {SOURCE_PKG} (apt-get)")
        _run(["apt-get", "install", "-y", SOURCE_PKG], f"apt-get install {SOURCE_PKG}")
    if not TARBALL.exists():
        raise PrepareError(f"{TARBALL}: not found after installing {SOURCE_PKG}")
    log(f"extracting the BPF selftests and libbpf from {TARBALL}")
    c.root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(TARBALL, "r:xz") as tar:
        members = [m for m in tar
                   if any(m.name.startswith(f"{TOP}/{p}") for p in EXTRACT)]
        tar.extractall(c.root, members=members, filter="data")


def ensure_libbpf(c: Corpus, log) -> None:
    if not c.libbpf_so.exists() or not (c.libbpf_dir / "bpf_helper_defs.h").exists():
        log("building the in-tree libbpf")
        _run(["make", "-C", str(c.libbpf_dir), "-j2"], "make -C tools/lib/bpf")
    if not (c.include / "bpf/bpf_helpers.h").exists():
        tmp = c.root / "headers"
        _run(["make", "-C", str(c.libbpf_dir), "install_headers", f"DESTDIR={tmp}", "prefix="],
             "libbpf install_headers")
        (c.include / "bpf").mkdir(parents=True, exist_ok=True)
        for h in (tmp / "include/bpf").iterdir():
            shutil.copy(h, c.include / "bpf" / h.name)
        shutil.rmtree(tmp)


def ensure_vmlinux_h(c: Corpus, log) -> None:
    if c.vmlinux_h.exists():
        return
    if not VMLINUX_BTF.exists():
        raise PrepareError(f"{VMLINUX_BTF}: not found (the kernel has no BTF)")
    log(f"generating vmlinux.h from {VMLINUX_BTF}")
    res = _run([BPFTOOL, "btf", "dump", "file", str(VMLINUX_BTF), "format", "c"],
               "bpftool btf dump")
    c.include.mkdir(parents=True, exist_ok=True)
    c.vmlinux_h.write_text(res.stdout)


def _sys_includes() -> list[str]:
    """clang's own search list as ``-idirafter`` flags (the Makefile's get_sys_includes)."""
    res = _run([CLANG, "-v", "-E", "-"], f"{CLANG} -v", input="")
    out, take = [], False
    for line in res.stderr.splitlines():
        if "<...> search starts here:" in line:
            take = True
        elif "End of search list." in line:
            break
        elif take and line.startswith(" /"):
            out += ["-idirafter", line.strip()]
    return out


def _per_file_cflags(c: Corpus) -> dict[str, list[str]]:
    """``progs/NAME.c-CFLAGS := ...`` lines of the selftests Makefile."""
    out = {}
    for line in (c.selftests / "Makefile").read_text().splitlines():
        m = re.match(r"progs/(\S+\.c)-CFLAGS\s*:=\s*(.*)", line)
        if m:
            out[m.group(1)] = m.group(2).split()
    return out


def cflags(c: Corpus) -> list[str]:
    return (["-g", "-Wall", "-Werror", "-D__TARGET_ARCH_x86", "-mlittle-endian",
             f"-I{c.include}", f"-I{c.selftests}", f"-I{c.src / 'tools/include/uapi'}",
             "-Wno-compare-distinct-pointer-types"] + _sys_includes()
            + ["-DENABLE_ATOMICS_TESTS"])


def _first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if "error:" in line:
            return line.split("progs/", 1)[-1].strip()
    return (stderr.strip().splitlines() or ["clang failed"])[0]


def compile_progs(c: Corpus, log, only: str | None = None, jobs: int = 1) -> tuple[int, dict]:
    """Compile progs/*.c (up to date objects are kept); returns (built, {file: error})."""
    c.objs.mkdir(parents=True, exist_ok=True)
    base, extra = cflags(c), _per_file_cflags(c)
    sources = sorted(c.progs.glob("*.c"))
    if only:
        sources = [s for s in sources if selected(only, s.stem, s.name)]
    old = {}
    if c.failures.exists():
        for line in c.failures.read_text().splitlines():
            name, _, err = line.partition("\t")
            old[name] = err

    def one(src: Path) -> tuple[str, str | None]:
        obj = c.objs / f"{src.stem}.bpf.o"
        if obj.exists() and obj.stat().st_mtime >= src.stat().st_mtime:
            return src.name, None
        if src.name in old and not obj.exists():
            return src.name, old[src.name]
        cmd = [CLANG, *base, *extra.get(src.name, []), "-O2", "--target=bpf", "-c", str(src),
               "-mcpu=v3", "-o", str(obj)]
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=c.progs)
        if res.returncode != 0:
            obj.unlink(missing_ok=True)
            return src.name, _first_error(res.stderr)
        return src.name, None

    failed: dict[str, str] = {}
    built = 0
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        for i, (name, err) in enumerate(ex.map(one, sources), 1):
            if err is None:
                built += 1
            else:
                failed[name] = err
            if i % 100 == 0:
                log(f"  compiled {i}/{len(sources)}")
    if not only:
        c.failures.write_text("".join(f"{n}\t{e}\n" for n, e in sorted(failed.items())))
    return built, failed


def prepare(c: Corpus, log=lambda s: print(s, file=sys.stderr), only: str | None = None,
            jobs: int = 1) -> tuple[int, dict]:
    ensure_source(c, log)
    ensure_libbpf(c, log)
    ensure_vmlinux_h(c, log)
    return compile_progs(c, log, only, jobs)
