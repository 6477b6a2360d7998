"""The real kernel as an oracle, object side: clang-compiled BPF ELF objects loaded through
the system libbpf (``libbpf.so.1``, via ctypes) and, after a ``BPF_PROG_TEST_RUN``, their maps,
ring buffers and perf event output read back as a user-space consumer (or ``bpftool map dump``)
would see them.  The bpf() syscall wrapper and the raw-instruction side live in
:mod:`kernel`, which also forwards this module's public names (``kernel.load_object`` etc.).

libbpf does the ELF work a real loader does (BTF-defined ``.maps``, ``.data``/``.bss``/
``.rodata`` as array maps, BPF-to-BPF call and callback relocation, .BTF/.BTF.ext func_info
and line_info, kfunc externs), so the kernel sees what ``bpftool prog load`` would give it.
The project's own ELF loader (pipeline/loader.py) is deliberately not used: the oracle must be
independent of the code it judges.  Nothing here skips or asserts.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno as _errno
import json
import mmap
import os
import platform
import shutil
import struct
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache

from .kernel import (BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_OBJ_GET_INFO_BY_FD,
                     BPF_PROG_TEST_RUN, LoadResult, RunResult, _addr, _attr, _bpf, _libc,
                     _log_size, close_fd, prog_test_run)

# --- object files through libbpf ----------------------------------------------------------

class _Libbpf:
    """The few libbpf 1.x entry points we need, typed for ctypes."""

    def __init__(self, lib: ctypes.CDLL):
        vp, cp, u32 = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint32
        sig = {
            "libbpf_set_print": (vp, [vp]),
            "libbpf_get_error": (ctypes.c_long, [vp]),
            "bpf_object__open_file": (vp, [cp, vp]),
            "bpf_object__load": (ctypes.c_int, [vp]),
            "bpf_object__close": (None, [vp]),
            "bpf_object__next_program": (vp, [vp, vp]),
            "bpf_program__name": (cp, [vp]),
            "bpf_program__section_name": (cp, [vp]),
            "bpf_program__type": (ctypes.c_int, [vp]),
            "bpf_program__set_autoload": (ctypes.c_int, [vp, ctypes.c_bool]),
            "bpf_program__set_log_level": (ctypes.c_int, [vp, u32]),
            "bpf_program__set_log_buf": (ctypes.c_int, [vp, cp, ctypes.c_size_t]),
            "bpf_program__fd": (ctypes.c_int, [vp]),
            "bpf_program__insns": (vp, [vp]),
            "bpf_program__insn_cnt": (ctypes.c_size_t, [vp]),
        }
        for name, (res, args) in sig.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = res, args
            setattr(self, name.replace("__", "_"), fn)
        # Silence libbpf's stderr chatter; logs come back through per-program buffers.
        self.libbpf_set_print(None)


@lru_cache(maxsize=1)
def _libbpf() -> _Libbpf | None:
    for name in ("libbpf.so.1", ctypes.util.find_library("bpf")):
        if not name:
            continue
        try:
            return _Libbpf(ctypes.CDLL(name, use_errno=True))
        except (OSError, AttributeError):
            continue
    return None


def libbpf_available() -> tuple[bool, str]:
    if _libbpf() is None:
        return False, "libbpf.so.1 not found (Debian: apt-get install libbpf1)"
    return True, ""


def _programs(lb: _Libbpf, obj: int):
    prog = lb.bpf_object_next_program(obj, None)
    while prog:
        yield prog
        prog = lb.bpf_object_next_program(obj, prog)


def object_programs(path: str | os.PathLike) -> list[tuple[str, str]]:
    """(function name, section name) of every program libbpf finds in the object."""
    lb = _libbpf()
    if lb is None:
        raise RuntimeError(libbpf_available()[1])
    obj = lb.bpf_object_open_file(os.fsencode(path), None)
    if not obj or lb.libbpf_get_error(obj):
        raise OSError(f"libbpf could not open {path}")
    try:
        return [(lb.bpf_program_name(p).decode(), lb.bpf_program_section_name(p).decode())
                for p in _programs(lb, obj)]
    finally:
        lb.bpf_object_close(obj)


def load_object(path: str | os.PathLike, prog: str | None = None, *,
                log_level: int = 1, log_size: int | None = None) -> LoadResult:
    """Load one program (by function or section name; default: the first) of a BPF ELF
    object into the kernel. Other programs in the object are not loaded. The returned fd is
    a dup, so the libbpf object (and its map fds) is closed before returning; the kernel
    keeps the program's maps alive through the program."""
    # Same ENOSPC policy as prog_load: keep the ring buffer's tail, take the verdict from a
    # level-0 load. (A libbpf object loads only once, so that means opening it again. On
    # failure libbpf itself retries at level 1 into our small buffer; errno is then lost.)
    res = _load_object_once(path, prog, log_level, _log_size(log_level, log_size))
    if res.errno == _errno.ENOSPC and log_level:
        verdict = _load_object_once(path, prog, 0, 4096)
        if not verdict.accepted:
            verdict.error = "rejected (errno hidden by libbpf's level-1 retry)"
        verdict.log, verdict.log_truncated = res.log, True
        return verdict
    return res


def _load_object_once(path, prog: str | None, log_level: int, size: int) -> LoadResult:
    lb = _libbpf()
    if lb is None:
        raise RuntimeError(libbpf_available()[1])
    obj = lb.bpf_object_open_file(os.fsencode(path), None)
    if not obj or lb.libbpf_get_error(obj):
        return LoadResult(False, _errno.EINVAL, "", None, f"libbpf could not open {path}")
    try:
        target = None
        for p in _programs(lb, obj):
            names = (lb.bpf_program_name(p).decode(), lb.bpf_program_section_name(p).decode())
            if target is None and (prog is None or prog in names):
                target = p
            else:
                lb.bpf_program_set_autoload(p, False)
        if target is None:
            return LoadResult(False, _errno.ENOENT, "", None, f"no program {prog!r} in {path}")
        lb.bpf_program_set_autoload(target, True)   # a '?SEC' program is off until asked for
        buf = ctypes.create_string_buffer(size)
        lb.bpf_program_set_log_buf(target, buf, size)
        lb.bpf_program_set_log_level(target, log_level)
        rc = lb.bpf_object_load(obj)
        log = buf.value.decode(errors="replace")
        code = b""
        ptr, cnt = lb.bpf_program_insns(target), lb.bpf_program_insn_cnt(target)
        if ptr and cnt:
            code = ctypes.string_at(ptr, cnt * 8)
        if rc != 0:
            err = -rc if rc < 0 else _errno.EINVAL
            return LoadResult(False, err, log, None,
                              os.strerror(err) if log else f"libbpf: {os.strerror(err)}",
                              insns=code)
        return LoadResult(True, 0, log, os.dup(lb.bpf_program_fd(target)), insns=code)
    finally:
        lb.bpf_object_close(obj)


def run_object(path: str | os.PathLike, prog: str, data: bytes = b"", *,
               repeat: int = 1) -> RunResult:
    """Load every program of the object through libbpf (so prog arrays' ``.values``
    initialisers are filled, as ``bpf_object__load`` does) and ``BPF_PROG_TEST_RUN``
    ``prog`` while the object is open: a prog array is emptied when its last user
    reference (libbpf's map fd) goes, so :func:`load_object`'s dup is not enough for
    tail calls.  Raises OSError when the object does not load."""
    with _loaded_object(path, prog) as (_, _, target_fd):
        return prog_test_run(target_fd, data, repeat=repeat)


class KernelRefused(OSError):
    """The live kernel refuses this program on its own (its verifier's closing line in
    ``line``): a kernel built without something the program uses, say a helper its
    program type offers upstream (seen: a 6.18 build refusing bpf_xdp_adjust_meta in XDP
    programs with "program of this type cannot use helper")."""

    def __init__(self, prog: str, line: str):
        super().__init__(_errno.EINVAL, f"the live kernel refuses {prog}: {line}")
        self.prog, self.line = prog, line


@lru_cache(maxsize=8)
def _refused(path: str, mtime_ns: int) -> dict[str, str]:
    """Program name -> the kernel's closing line, for the object's programs the live kernel
    refuses when each is loaded alone (asked only when the whole object does not load)."""
    out = {}
    for name, _sec in object_programs(path):
        res = load_object(path, name)
        if res.accepted:
            close_fd(res.fd)
        elif res.reached_kernel:
            out[name] = res.error_line or res.error or "rejected"
    return out


@contextlib.contextmanager
def _loaded_object(path, prog: str):
    """Open and load every program of the object through libbpf; yield (libbpf, object,
    fd of program ``prog``) while the object stays open.  Where the object does not load
    because the live kernel refuses some of its programs on their own, those are left out
    (:class:`KernelRefused` when ``prog`` is one of them).  OSError when it does not load
    otherwise or has no such program."""
    lb = _libbpf()
    if lb is None:
        raise RuntimeError(libbpf_available()[1])
    obj = lb.bpf_object_open_file(os.fsencode(path), None)
    if not obj or lb.libbpf_get_error(obj):
        raise OSError(_errno.EINVAL, f"libbpf could not open {path}")
    try:
        rc = lb.bpf_object_load(obj)
        if rc != 0:
            refused = _refused(os.fspath(path), os.stat(path).st_mtime_ns)
            if prog in refused:
                raise KernelRefused(prog, refused[prog])
            if refused:
                lb.bpf_object_close(obj)
                obj = lb.bpf_object_open_file(os.fsencode(path), None)
                for p in _programs(lb, obj):
                    if lb.bpf_program_name(p).decode() in refused:
                        lb.bpf_program_set_autoload(p, False)
                rc = lb.bpf_object_load(obj)
        if rc != 0:
            err = -rc if rc < 0 else _errno.EINVAL
            raise OSError(err, f"libbpf could not load {path}: {os.strerror(err)}")
        target = next((p for p in _programs(lb, obj)
                       if prog in (lb.bpf_program_name(p).decode(),
                                   lb.bpf_program_section_name(p).decode())), None)
        if target is None:
            raise OSError(_errno.ENOENT, f"no program {prog!r} in {path}")
        yield lb, obj, lb.bpf_program_fd(target)
    finally:
        lb.bpf_object_close(obj)


# --- after a test run: ctx_in/ctx_out, data_out, maps, ring buffers, bpftool dumps ---------

BPF_MAP_GET_NEXT_KEY = 4
MAP_INFO_SIZE = 88       # sizeof(struct bpf_map_info) up to map_extra
BPF_MAP_TYPE_PERCPU = {5, 6, 10}           # percpu hash, percpu array, lru percpu hash
BPF_MAP_TYPE_RINGBUF = 27
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass
class ShownMap:
    """One map of an object after a test run: its kernel id (for ``bpftool map dump id``),
    every (key, value) read back with BPF_MAP_GET_NEXT_KEY + BPF_MAP_LOOKUP_ELEM (per-CPU
    maps: the value of every possible CPU, each padded to 8 bytes), and for a ring buffer
    the committed records read through its mmap'ed consumer/producer pages."""
    name: str
    map_type: int
    id: int
    key_size: int
    value_size: int
    max_entries: int
    entries: list = field(default_factory=list)
    records: list = field(default_factory=list)
    bpftool: list | None = None


@dataclass
class ObjectRun:
    retval: int
    errno: int               # 0, or the errno BPF_PROG_TEST_RUN returned
    data_out: bytes
    ctx_out: bytes
    maps: dict               # libbpf map name -> ShownMap


def _map_api():
    lib = ctypes.CDLL("libbpf.so.1", use_errno=True)
    vp, cp = ctypes.c_void_p, ctypes.c_char_p
    for name, res, args in (("bpf_object__next_map", vp, [vp, vp]),
                            ("bpf_map__name", cp, [vp]), ("bpf_map__fd", ctypes.c_int, [vp]),
                            ("libbpf_num_possible_cpus", ctypes.c_int, [])):
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    return lib


def _map_info(fd: int) -> tuple:
    info = ctypes.create_string_buffer(MAP_INFO_SIZE)
    attr = _attr((0, "I", fd), (4, "I", MAP_INFO_SIZE), (8, "Q", _addr(info)))
    ret, err = _bpf(BPF_OBJ_GET_INFO_BY_FD, attr)
    if ret < 0:
        raise OSError(err, f"BPF_OBJ_GET_INFO_BY_FD: {os.strerror(err)}")
    return struct.unpack_from("<6I", info, 0)   # type, id, key_size, value_size, max_entries, flags


def map_items(fd: int, key_size: int, value_size: int) -> list[tuple[bytes, bytes]]:
    """Every (key, value) of a map, iterated with BPF_MAP_GET_NEXT_KEY (``value_size``: the
    whole lookup buffer, all CPUs for a per-CPU map)."""
    out, prev = [], None
    for _ in range(1 << 20):
        k = ctypes.create_string_buffer(max(key_size, 1))
        p = ctypes.create_string_buffer(bytes(prev), max(key_size, 1)) if prev is not None else None
        attr = _attr((0, "I", fd), (8, "Q", _addr(p)), (16, "Q", _addr(k)))
        ret, err = _bpf(BPF_MAP_GET_NEXT_KEY, attr)
        if ret < 0:
            if err == _errno.ENOENT:
                return out
            raise OSError(err, f"BPF_MAP_GET_NEXT_KEY: {os.strerror(err)}")
        key = k.raw[:key_size]
        v = ctypes.create_string_buffer(max(value_size, 1))
        attr = _attr((0, "I", fd), (8, "Q", _addr(k)), (16, "Q", _addr(v)))
        ret, err = _bpf(BPF_MAP_LOOKUP_ELEM, attr)
        if ret == 0:
            out.append((key, v.raw[:value_size]))
        prev = key
    return out


def ringbuf_records(fd: int, size: int) -> list[bytes]:
    """The committed records of a BPF ring buffer, as a consumer reads them (without
    consuming): mmap the consumer page and the producer page + data, walk the 8-byte
    headers from the consumer to the producer position, skip discarded records."""
    cons = mmap.mmap(fd, PAGE_SIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=0)
    prod = mmap.mmap(fd, PAGE_SIZE + 2 * size, mmap.MAP_SHARED, mmap.PROT_READ,
                     offset=PAGE_SIZE)
    try:
        pos = struct.unpack_from("<Q", cons, 0)[0]
        end = struct.unpack_from("<Q", prod, 0)[0]
        out = []
        while pos < end:
            at = PAGE_SIZE + (pos & (size - 1))
            length = struct.unpack_from("<I", prod, at)[0]
            if length & (1 << 31):
                break
            n = length & ~(3 << 30)
            if not length & (1 << 30):
                out.append(bytes(prod[at + 8:at + 8 + n]))
            pos += (n + 8 + 7) // 8 * 8
        return out
    finally:
        prod.close()
        cons.close()


def bpftool_dump(map_id: int, bpftool: str = "bpftool") -> list | None:
    """``bpftool -j map dump id N`` parsed, or None when bpftool is missing or fails."""
    exe = shutil.which(bpftool) or shutil.which(bpftool, path="/usr/sbin:/sbin")
    if exe is None:
        return None
    p = subprocess.run([exe, "-j", "map", "dump", "id", str(map_id)], capture_output=True,
                       text=True, timeout=60)
    return json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else None


def _test_run_ctx(fd: int, data: bytes, ctx: bytes | None) -> tuple[int, int, bytes, bytes]:
    din = ctypes.create_string_buffer(bytes(data), max(len(data), 1))
    dout = ctypes.create_string_buffer(len(data) + 512)
    fields = [(0, "I", fd), (8, "I", len(data)), (12, "I", len(dout)), (16, "Q", _addr(din)),
              (24, "Q", _addr(dout)), (32, "I", 1)]
    cin = cout = None
    if ctx is not None:
        cin = ctypes.create_string_buffer(bytes(ctx), max(len(ctx), 1))
        cout = ctypes.create_string_buffer(max(len(ctx), 1))
        fields += [(40, "I", len(ctx)), (44, "I", len(ctx)), (48, "Q", _addr(cin)),
                   (56, "Q", _addr(cout))]
    attr = _attr(*fields)
    ret, err = _bpf(BPF_PROG_TEST_RUN, attr)
    if ret < 0:
        return 0, err, b"", b""
    retval, out_size = struct.unpack_from("<I", attr, 4)[0], struct.unpack_from("<I", attr, 12)[0]
    ctx_size = struct.unpack_from("<I", attr, 44)[0] if ctx is not None else 0
    return retval, 0, dout.raw[:out_size], cout.raw[:ctx_size] if cout is not None else b""


def run_object_show(path: str | os.PathLike, prog: str, data: bytes = b"", *,
                    ctx: bytes | None = None, dump: bool = True) -> ObjectRun:
    """Load the object through libbpf, BPF_PROG_TEST_RUN ``prog`` once with ``data`` (and
    ``ctx`` as ctx_in), then read every map back while the object is still open (and, with
    ``dump``, let bpftool dump it by id).  A test run the kernel refuses gives ``errno``."""
    api = _map_api()
    ncpus = api.libbpf_num_possible_cpus()
    with _loaded_object(path, prog) as (_, obj, target_fd):
        retval, err, data_out, ctx_out = _test_run_ctx(target_fd, data, ctx)
        maps = {}
        m = api.bpf_object__next_map(obj, None)
        while m:
            fd = api.bpf_map__fd(m)
            mtype, mid, ks, vs, n, _ = _map_info(fd)
            sm = ShownMap(api.bpf_map__name(m).decode(), mtype, mid, ks, vs, n)
            if mtype == BPF_MAP_TYPE_RINGBUF:
                sm.records = ringbuf_records(fd, n)
            elif mtype in BPF_MAP_TYPE_PERCPU:
                sm.entries = map_items(fd, ks, (vs + 7) // 8 * 8 * ncpus)
            elif mtype not in (3, 4):            # prog arrays, perf event arrays: fds
                sm.entries = map_items(fd, ks, vs)
            if dump and mtype not in (3, 4, BPF_MAP_TYPE_RINGBUF):
                sm.bpftool = bpftool_dump(mid)
            maps[sm.name] = sm
            m = api.bpf_object__next_map(obj, m)
        return ObjectRun(retval, err, data_out, ctx_out, maps)


# --- bpf_perf_event_output through a real BPF-output perf event ----------------------------

SYS_PERF_EVENT_OPEN = {"x86_64": 298, "aarch64": 241}
PERF_TYPE_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT, PERF_SAMPLE_RAW = 1, 10, 1 << 10
PERF_RECORD_SAMPLE = 9
PERF_FLAG_FD_CLOEXEC = 8
PERF_PAGES = 8               # data pages of the perf ring (a power of two)


def perf_output_run(path: str | os.PathLike, prog: str, data: bytes, map_name: str,
                    cpu: int = 0) -> tuple[int, int, list[bytes]]:
    """What libbpf's perf_buffer sees: pin this thread to ``cpu``, open a BPF-output perf
    event there, put it in slot ``cpu`` of perf event array ``map_name``, BPF_PROG_TEST_RUN
    ``prog`` and read the PERF_RECORD_SAMPLE raw records from the event's mmap'ed ring.
    Returns (retval, errno, raw records; each padded, as the kernel does, so that 4 + its
    length is a multiple of 8)."""
    nr = SYS_PERF_EVENT_OPEN.get(platform.machine())
    if _libbpf() is None or nr is None:
        raise RuntimeError("libbpf or perf_event_open is not available here")
    api = _map_api()
    old = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    pfd = -1
    try:
        with _loaded_object(path, prog) as (_, obj, target_fd):
            m = api.bpf_object__next_map(obj, None)
            while m and api.bpf_map__name(m).decode() != map_name:
                m = api.bpf_object__next_map(obj, m)
            attr = ctypes.create_string_buffer(128)
            struct.pack_into("<IIQQQ", attr, 0, PERF_TYPE_SOFTWARE, 128,
                             PERF_COUNT_SW_BPF_OUTPUT, 1, PERF_SAMPLE_RAW)
            struct.pack_into("<I", attr, 48, 1)                       # wakeup_events
            pfd = _libc.syscall(ctypes.c_long(nr), attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC)
            if pfd < 0:
                err = ctypes.get_errno()
                raise OSError(err, f"perf_event_open: {os.strerror(err)}")
            ring = mmap.mmap(pfd, (1 + PERF_PAGES) * PAGE_SIZE, mmap.MAP_SHARED,
                             mmap.PROT_READ | mmap.PROT_WRITE)
            try:
                k = ctypes.create_string_buffer(struct.pack("<I", cpu), 4)
                v = ctypes.create_string_buffer(struct.pack("<I", pfd), 4)
                a = _attr((0, "I", api.bpf_map__fd(m)), (8, "Q", _addr(k)), (16, "Q", _addr(v)))
                ret, err = _bpf(BPF_MAP_UPDATE_ELEM, a)
                if ret < 0:
                    raise OSError(err, f"BPF_MAP_UPDATE_ELEM: {os.strerror(err)}")
                retval, err, _, _ = _test_run_ctx(target_fd, data, None)
                return retval, err, _perf_samples(ring)
            finally:
                ring.close()
    finally:
        close_fd(pfd)
        os.sched_setaffinity(0, old)


def _perf_samples(ring: mmap.mmap) -> list[bytes]:
    """The raw data of every PERF_RECORD_SAMPLE in a perf event's mmap'ed ring."""
    head = struct.unpack_from("<Q", ring, 1024)[0]
    size = PERF_PAGES * PAGE_SIZE
    buf = bytes(ring[PAGE_SIZE:PAGE_SIZE + size])
    out, pos = [], 0
    while pos < head:
        rtype, _, rsize = struct.unpack_from("<IHH", buf, pos % size)
        rec = (buf + buf)[pos % size:pos % size + rsize]
        if rtype == PERF_RECORD_SAMPLE:
            n = struct.unpack_from("<I", rec, 8)[0]
            out.append(rec[12:12 + n])
        pos += rsize
    return out
