"""The real kernel as an oracle: a ctypes wrapper around the bpf() syscall.

Two ways in:

* **raw**: :func:`prog_load` takes instruction bytes (or a list of ``isa.Insn``) plus a prog
  type, license and optional BTF/func_info/line_info, and returns a :class:`LoadResult`
  (verdict, errno, verifier log, prog fd). Maps come from :func:`map_create`; LD_IMM64 map
  references are patched with :func:`relocate_map_refs`.
* **object**: :func:`load_object` loads one program of a clang-compiled ``.o`` through the
  system libbpf (``libbpf.so.1``, via ctypes). libbpf does the ELF work a real loader does —
  BTF-defined ``.maps``, ``.data``/``.bss``/``.rodata`` as array maps, BPF-to-BPF call and
  callback relocation, .BTF/.BTF.ext func_info and line_info, kfunc externs — so the kernel
  sees what ``bpftool prog load`` would give it, and we get a per-program log buffer at
  level 1 or 2. (This beat hand-written pyelftools relocation in size and fidelity, and
  bpftool's CLI gives neither a level-2 log nor one program of several.)
  The project's own ELF loader (pipeline/loader.py) is deliberately not used: the oracle
  must be independent of the code it judges.

Everything that owns a file descriptor has ``close()`` and is a context manager.
Nothing here skips or asserts; tests call :func:`kernel_available` and decide.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno as _errno
import os
import platform
import re
import struct
from dataclasses import dataclass, field
from functools import lru_cache

# --- syscall plumbing -------------------------------------------------------------------

SYS_BPF = {"x86_64": 321, "aarch64": 280}

BPF_MAP_CREATE = 0
BPF_MAP_LOOKUP_ELEM = 1
BPF_MAP_UPDATE_ELEM = 2
BPF_PROG_LOAD = 5
BPF_PROG_TEST_RUN = 10
BPF_OBJ_GET_INFO_BY_FD = 15
BPF_BTF_LOAD = 18

# Program types (include/uapi/linux/bpf.h, enum bpf_prog_type).
PROG_TYPES = {
    "socket_filter": 1,
    "kprobe": 2,
    "sched_cls": 3,
    "sched_act": 4,
    "tracepoint": 5,
    "xdp": 6,
    "perf_event": 7,
    "cgroup_skb": 8,
    "cgroup_sock": 9,
    "raw_tracepoint": 17,
    "cgroup_sock_addr": 18,
    "sk_lookup": 30,
    "netfilter": 32,
}

# Map types (enum bpf_map_type).
MAP_TYPES = {"hash": 1, "array": 2, "prog_array": 3, "percpu_hash": 5, "percpu_array": 6,
             "lru_hash": 9, "ringbuf": 27}

BPF_PSEUDO_MAP_FD = 1
BPF_PSEUDO_MAP_VALUE = 2
BPF_LD_IMM64 = 0x18

ATTR_SIZE = 144          # sizeof(union bpf_attr) for the commands we use (kernel 6.x uapi)
PROG_INFO_SIZE = 232     # sizeof(struct bpf_prog_info)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _sys_nr() -> int | None:
    return SYS_BPF.get(platform.machine())


def _bpf(cmd: int, attr: ctypes.Array) -> tuple[int, int]:
    """Call bpf(cmd, attr, sizeof attr); return (result, errno)."""
    nr = _sys_nr()
    if nr is None:
        return -1, _errno.ENOSYS
    ret = _libc.syscall(ctypes.c_long(nr), ctypes.c_int(cmd), attr, ctypes.c_uint(len(attr)))
    return ret, (ctypes.get_errno() if ret < 0 else 0)


def _attr(*fields: tuple[int, str, int]) -> ctypes.Array:
    """A zeroed bpf_attr with (offset, struct-format, value) fields packed in."""
    buf = ctypes.create_string_buffer(ATTR_SIZE)
    for off, fmt, value in fields:
        struct.pack_into("<" + fmt, buf, off, value)
    return buf


def _addr(obj) -> int:
    return ctypes.addressof(obj) if obj is not None else 0


def close_fd(fd: int | None) -> None:
    if fd is not None and fd >= 0:
        try:
            os.close(fd)
        except OSError:
            pass


# --- results ----------------------------------------------------------------------------

# Lines the kernel appends after the real verdict; they are never "the error".
_TRAILER_PREFIXES = ("processed ", "verification time", "stack depth", "max_states_per_insn",
                     "mark_read")
_GLUED_TRAILER = re.compile(r"(?<=\S)processed \d+ insns.*$")
_INSN_LINE = re.compile(r"^\d+: (\(|R\d|frame)")


@dataclass
class LoadResult:
    """Outcome of one BPF_PROG_LOAD. ``fd`` is owned: call close() (or use ``with``)."""

    accepted: bool
    errno: int = 0
    log: str = ""
    fd: int | None = None
    error: str = ""          # strerror, or the loader's (libbpf's) complaint before the kernel
    log_truncated: bool = False   # log is the tail of a longer one (see prog_load)
    insns: bytes = b""       # the instructions handed to the kernel (after libbpf's relocation)

    @property
    def error_line(self) -> str:
        """The kernel's verdict line: the last log line that is not a statistics trailer."""
        for line in reversed(self.log.splitlines()):
            # Some kernel messages lack their newline and run into the statistics line.
            s = _GLUED_TRAILER.sub("", line).strip()
            if s and not s.startswith(_TRAILER_PREFIXES):
                return s
        return ""

    @property
    def error_block(self) -> str:
        """The kernel's closing message: every log line after the last instruction or state
        line (``12: (61) ...``, ``12: R1=...``), minus the statistics trailer. A verdict
        substring is looked up here so that it cannot match some earlier, passing path."""
        lines = self.log.splitlines()
        last = max((i for i, l in enumerate(lines) if _INSN_LINE.match(l)), default=-1)
        keep = [_GLUED_TRAILER.sub("", l).rstrip() for l in lines[last + 1:]]
        return "\n".join(l for l in keep if l.strip() and not l.lstrip().startswith(_TRAILER_PREFIXES))

    @property
    def reached_kernel(self) -> bool:
        """False when the loader failed before the verifier ran (nothing to compare)."""
        return self.accepted or bool(self.log.strip())

    def close(self) -> None:
        close_fd(self.fd)
        self.fd = None

    def __enter__(self) -> "LoadResult":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class ProgInfo:
    prog_type: int
    id: int
    tag: bytes
    jited_prog_len: int
    xlated_prog_len: int
    nr_map_ids: int
    name: str
    btf_id: int
    nr_func_info: int
    nr_line_info: int
    verified_insns: int


@dataclass
class RunResult:
    retval: int
    duration: int
    data_out: bytes = b""


@dataclass
class Map:
    """A kernel map created by :func:`map_create`."""

    fd: int
    map_type: int
    key_size: int
    value_size: int
    max_entries: int
    name: str = ""
    extra: dict = field(default_factory=dict)

    def update(self, key: bytes, value: bytes, flags: int = 0) -> None:
        k = ctypes.create_string_buffer(bytes(key), self.key_size)
        v = ctypes.create_string_buffer(bytes(value), self.value_size)
        attr = _attr((0, "I", self.fd), (8, "Q", _addr(k)), (16, "Q", _addr(v)), (24, "Q", flags))
        ret, err = _bpf(BPF_MAP_UPDATE_ELEM, attr)
        if ret < 0:
            raise OSError(err, f"BPF_MAP_UPDATE_ELEM: {os.strerror(err)}")

    def lookup(self, key: bytes) -> bytes | None:
        k = ctypes.create_string_buffer(bytes(key), self.key_size)
        v = ctypes.create_string_buffer(self.value_size)
        attr = _attr((0, "I", self.fd), (8, "Q", _addr(k)), (16, "Q", _addr(v)))
        ret, err = _bpf(BPF_MAP_LOOKUP_ELEM, attr)
        if ret < 0:
            if err == _errno.ENOENT:
                return None
            raise OSError(err, f"BPF_MAP_LOOKUP_ELEM: {os.strerror(err)}")
        return v.raw

    def close(self) -> None:
        close_fd(self.fd)
        self.fd = -1

    def __enter__(self) -> "Map":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- commands ---------------------------------------------------------------------------

def _name16(name: str) -> bytes:
    # Kernel object names: <= 15 chars of [A-Za-z0-9_.]; anything else is EINVAL.
    clean = "".join(c if (c.isalnum() or c in "_.") else "_" for c in name)
    return clean.encode()[:15]


def map_create(map_type: str | int, key_size: int, value_size: int, max_entries: int,
               name: str = "", flags: int = 0) -> Map:
    mtype = MAP_TYPES[map_type] if isinstance(map_type, str) else map_type
    attr = _attr((0, "I", mtype), (4, "I", key_size), (8, "I", value_size),
                 (12, "I", max_entries), (16, "I", flags))
    nm = _name16(name)
    ctypes.memmove(ctypes.addressof(attr) + 28, nm, len(nm))
    fd, err = _bpf(BPF_MAP_CREATE, attr)
    if fd < 0:
        raise OSError(err, f"BPF_MAP_CREATE({map_type}): {os.strerror(err)}")
    return Map(fd, mtype, key_size, value_size, max_entries, name)


def btf_load(data: bytes, log_level: int = 1) -> tuple[int, str]:
    """BPF_BTF_LOAD raw BTF bytes; returns (fd, log). Raises OSError (with the log) on failure."""
    blob = ctypes.create_string_buffer(bytes(data), len(data))
    log = ctypes.create_string_buffer(1 << 20)
    attr = _attr((0, "Q", _addr(blob)), (8, "Q", _addr(log)), (16, "I", len(data)),
                 (20, "I", len(log)), (24, "I", log_level))
    fd, err = _bpf(BPF_BTF_LOAD, attr)
    text = log.value.decode(errors="replace")
    if fd < 0:
        raise OSError(err, f"BPF_BTF_LOAD: {os.strerror(err)}\n{text}")
    return fd, text


def _insn_bytes(insns) -> bytes:
    if isinstance(insns, (bytes, bytearray, memoryview)):
        return bytes(insns)
    import isa  # leaf package; only needed when callers hand us Insn objects
    return isa.encode(list(insns))


def _prog_type(prog_type: str | int) -> int:
    return PROG_TYPES[prog_type] if isinstance(prog_type, str) else prog_type


DEFAULT_LOG_SIZE = {1: 1 << 20, 2: 16 << 20}


def _log_size(log_level: int, log_size: int | None) -> int:
    return log_size or DEFAULT_LOG_SIZE.get(log_level, 16 << 20)


def prog_load(insns, prog_type: str | int, license: str = "GPL", *, log_level: int = 1,
              log_size: int | None = None, name: str = "", btf_fd: int | None = None,
              func_info: list[tuple[int, int]] | None = None,
              line_info: list[tuple[int, int, int, int]] | None = None,
              expected_attach_type: int = 0, prog_flags: int = 0) -> LoadResult:
    """BPF_PROG_LOAD. func_info entries are (insn_off, type_id); line_info entries are
    (insn_off, file_name_off, line_off, line_col) as in .BTF.ext.

    The kernel fails even a safe load with ENOSPC when the log outgrows its buffer (at
    level 1 it prints every insn of the path being explored: 50 MB for a program that
    runs into the 1M-insn limit). The buffer is a ring, so its tail still holds the
    verdict line; we keep that tail (``log_truncated``) and reload at level 0 for the
    true verdict, instead of formatting the whole log again into ever larger buffers."""
    kw = dict(name=name, btf_fd=btf_fd, func_info=func_info, line_info=line_info,
              expected_attach_type=expected_attach_type, prog_flags=prog_flags)
    res = _prog_load_once(insns, prog_type, license, log_level, _log_size(log_level, log_size), **kw)
    if res.errno == _errno.ENOSPC and log_level:
        verdict = _prog_load_once(insns, prog_type, license, 0, 0, **kw)
        verdict.log, verdict.log_truncated = res.log, True
        return verdict
    return res


def _prog_load_once(insns, prog_type, license, log_level, size, *, name, btf_fd, func_info,
                    line_info, expected_attach_type, prog_flags) -> LoadResult:
    code = _insn_bytes(insns)
    if len(code) % 8:
        raise ValueError("instruction bytes must be a multiple of 8")
    text = ctypes.create_string_buffer(code, len(code))
    lic = ctypes.create_string_buffer(license.encode())
    log = ctypes.create_string_buffer(size) if log_level else None
    fields = [(0, "I", _prog_type(prog_type)), (4, "I", len(code) // 8),
              (8, "Q", _addr(text)), (16, "Q", _addr(lic)),
              (24, "I", log_level), (28, "I", size if log else 0), (32, "Q", _addr(log)),
              (44, "I", prog_flags), (68, "I", expected_attach_type)]
    fi = li = None
    if btf_fd is not None:
        fields.append((72, "I", btf_fd))
    if func_info:
        fi = ctypes.create_string_buffer(b"".join(struct.pack("<II", *e) for e in func_info))
        fields += [(76, "I", 8), (80, "Q", _addr(fi)), (88, "I", len(func_info))]
    if line_info:
        li = ctypes.create_string_buffer(b"".join(struct.pack("<IIII", *e) for e in line_info))
        fields += [(92, "I", 16), (96, "Q", _addr(li)), (104, "I", len(line_info))]
    attr = _attr(*fields)
    nm = _name16(name)
    ctypes.memmove(ctypes.addressof(attr) + 48, nm, len(nm))
    fd, err = _bpf(BPF_PROG_LOAD, attr)
    out = log.value.decode(errors="replace") if log else ""
    if fd < 0:
        return LoadResult(False, err, out, None, os.strerror(err), insns=code)
    return LoadResult(True, 0, out, fd, insns=code)


def prog_info(fd: int) -> ProgInfo:
    info = ctypes.create_string_buffer(PROG_INFO_SIZE)
    attr = _attr((0, "I", fd), (4, "I", PROG_INFO_SIZE), (8, "Q", _addr(info)))
    ret, err = _bpf(BPF_OBJ_GET_INFO_BY_FD, attr)
    if ret < 0:
        raise OSError(err, f"BPF_OBJ_GET_INFO_BY_FD: {os.strerror(err)}")
    u32 = lambda off: struct.unpack_from("<I", info, off)[0]  # noqa: E731
    return ProgInfo(
        prog_type=u32(0), id=u32(4), tag=info.raw[8:16], jited_prog_len=u32(16),
        xlated_prog_len=u32(20), nr_map_ids=u32(52),
        name=info.raw[64:80].split(b"\0", 1)[0].decode(errors="replace"),
        btf_id=u32(128), nr_func_info=u32(144), nr_line_info=u32(148),
        verified_insns=u32(216))


def prog_test_run(fd: int, data: bytes = b"", *, ctx: bytes | None = None, repeat: int = 1,
             data_out_size: int | None = None) -> RunResult:
    """BPF_PROG_TEST_RUN with packet ``data`` (and optional ctx bytes)."""
    din = ctypes.create_string_buffer(bytes(data), max(len(data), 1))
    osize = data_out_size if data_out_size is not None else len(data) + 256
    dout = ctypes.create_string_buffer(max(osize, 1))
    fields = [(0, "I", fd), (8, "I", len(data)), (12, "I", osize if data else 0),
              (16, "Q", _addr(din) if data else 0), (24, "Q", _addr(dout) if data else 0),
              (32, "I", repeat)]
    cin = None
    if ctx is not None:
        cin = ctypes.create_string_buffer(bytes(ctx), len(ctx))
        fields += [(40, "I", len(ctx)), (48, "Q", _addr(cin))]
    attr = _attr(*fields)
    ret, err = _bpf(BPF_PROG_TEST_RUN, attr)
    if ret < 0:
        raise OSError(err, f"BPF_PROG_TEST_RUN: {os.strerror(err)}")
    retval, _, out_size = struct.unpack_from("<III", attr, 4)
    duration = struct.unpack_from("<I", attr, 36)[0]
    return RunResult(retval, duration, dout.raw[:out_size])


# --- relocation for raw programs --------------------------------------------------------

def relocate_map_refs(code: bytes, refs: dict[int, int | tuple[int, int]]) -> bytes:
    """Point LD_IMM64 instructions at maps.

    ``refs`` maps an instruction index (of the first LD_IMM64 slot) to a map fd
    (-> ``src=BPF_PSEUDO_MAP_FD, imm=fd``) or to ``(fd, value_offset)``
    (-> ``src=BPF_PSEUDO_MAP_VALUE, imm=fd``, second slot imm = offset).
    """
    out = bytearray(code)
    for idx, target in refs.items():
        pos = idx * 8
        if out[pos] != BPF_LD_IMM64:
            raise ValueError(f"insn {idx} is not LD_IMM64 (code 0x{out[pos]:02x})")
        if isinstance(target, tuple):
            fd, off = target
            kind = BPF_PSEUDO_MAP_VALUE
        else:
            fd, off, kind = target, 0, BPF_PSEUDO_MAP_FD
        out[pos + 1] = (out[pos + 1] & 0x0F) | (kind << 4)
        struct.pack_into("<i", out, pos + 4, fd)
        struct.pack_into("<i", out, pos + 12, off)
    return bytes(out)


# --- availability -----------------------------------------------------------------------

# r0 = 0; exit
_TRIVIAL = bytes.fromhex("b700000000000000" "9500000000000000")


@lru_cache(maxsize=1)
def kernel_available() -> tuple[bool, str]:
    """(True, "") when bpf() works here for privileged loads; else (False, why)."""
    if platform.system() != "Linux":
        return False, f"bpf() needs Linux (this is {platform.system()})"
    if _sys_nr() is None:
        return False, f"no bpf() syscall number known for {platform.machine()}"
    res = prog_load(_TRIVIAL, "socket_filter", log_level=0)
    if not res.accepted:
        return False, (f"bpf(BPF_PROG_LOAD) denied: {os.strerror(res.errno)} "
                       f"(errno {res.errno}); run as root with bpf() allowed")
    try:
        info = prog_info(res.fd)
        if info.verified_insns == 0:
            return False, "kernel does not report verified_insns (needs Linux >= 5.16)"
    finally:
        res.close()
    return True, ""


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
    lb = _libbpf()
    if lb is None:
        raise RuntimeError(libbpf_available()[1])
    obj = lb.bpf_object_open_file(os.fsencode(path), None)
    if not obj or lb.libbpf_get_error(obj):
        raise OSError(_errno.EINVAL, f"libbpf could not open {path}")
    try:
        rc = lb.bpf_object_load(obj)
        if rc != 0:
            err = -rc if rc < 0 else _errno.EINVAL
            raise OSError(err, f"libbpf could not load {path}: {os.strerror(err)}")
        target = next((p for p in _programs(lb, obj)
                       if prog in (lb.bpf_program_name(p).decode(),
                                   lb.bpf_program_section_name(p).decode())), None)
        if target is None:
            raise OSError(_errno.ENOENT, f"no program {prog!r} in {path}")
        return prog_test_run(lb.bpf_program_fd(target), data, repeat=repeat)
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
    import mmap
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
    import json
    import shutil
    import subprocess
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
    lb = _libbpf()
    if lb is None:
        raise RuntimeError(libbpf_available()[1])
    api = _map_api()
    ncpus = api.libbpf_num_possible_cpus()
    obj = lb.bpf_object_open_file(os.fsencode(path), None)
    if not obj or lb.libbpf_get_error(obj):
        raise OSError(_errno.EINVAL, f"libbpf could not open {path}")
    try:
        rc = lb.bpf_object_load(obj)
        if rc != 0:
            err = -rc if rc < 0 else _errno.EINVAL
            raise OSError(err, f"libbpf could not load {path}: {os.strerror(err)}")
        target = next((p for p in _programs(lb, obj)
                       if prog in (lb.bpf_program_name(p).decode(),
                                   lb.bpf_program_section_name(p).decode())), None)
        if target is None:
            raise OSError(_errno.ENOENT, f"no program {prog!r} in {path}")
        retval, err, data_out, ctx_out = _test_run_ctx(lb.bpf_program_fd(target), data, ctx)
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
    finally:
        lb.bpf_object_close(obj)


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
    import mmap
    nr = SYS_PERF_EVENT_OPEN.get(platform.machine())
    lb = _libbpf()
    if lb is None or nr is None:
        raise RuntimeError("libbpf or perf_event_open is not available here")
    api = _map_api()
    old = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    obj = lb.bpf_object_open_file(os.fsencode(path), None)
    pfd = -1
    try:
        if not obj or lb.libbpf_get_error(obj) or lb.bpf_object_load(obj) != 0:
            raise OSError(_errno.EINVAL, f"libbpf could not load {path}")
        target = next(p for p in _programs(lb, obj)
                      if prog in (lb.bpf_program_name(p).decode(),
                                  lb.bpf_program_section_name(p).decode()))
        m = api.bpf_object__next_map(obj, None)
        while m and api.bpf_map__name(m).decode() != map_name:
            m = api.bpf_object__next_map(obj, m)
        attr = ctypes.create_string_buffer(128)
        struct.pack_into("<IIQQQ", attr, 0, PERF_TYPE_SOFTWARE, 128, PERF_COUNT_SW_BPF_OUTPUT,
                         1, PERF_SAMPLE_RAW)
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
            retval, err, _, _ = _test_run_ctx(lb.bpf_program_fd(target), data, None)
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
            return retval, err, out
        finally:
            ring.close()
    finally:
        close_fd(pfd)
        if obj:
            lb.bpf_object_close(obj)
        os.sched_setaffinity(0, old)
