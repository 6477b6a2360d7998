"""The real kernel as an oracle: a ctypes wrapper around the bpf() syscall.

Two ways in:

* **raw** (this module): :func:`prog_load` takes instruction bytes (or a list of ``isa.Insn``)
  plus a prog type, license and optional BTF/func_info/line_info, and returns a
  :class:`LoadResult` (verdict, errno, verifier log, prog fd). Maps come from
  :func:`map_create`; LD_IMM64 map references are patched with :func:`relocate_map_refs`.
* **object** (:mod:`kernel_objects`, its public names forwarded here): ``load_object`` loads
  one program of a clang-compiled ``.o`` through the system libbpf (``libbpf.so.1``, via
  ctypes), so the kernel sees what ``bpftool prog load`` would give it, with a per-program log
  buffer at level 1 or 2. (This beat hand-written pyelftools relocation in size and fidelity,
  and bpftool's CLI gives neither a level-2 log nor one program of several.)
  ``run_object``/``run_object_show``/``perf_output_run`` test-run a program while its
  object is open and read its maps, ring buffers and perf output back.

Everything that owns a file descriptor has ``close()`` and is a context manager.
Nothing here skips or asserts; tests call :func:`kernel_available` and decide.
"""

from __future__ import annotations

import ctypes
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
              expected_attach_type: int = 0, prog_flags: int = 0,
              attach_btf_id: int = 0) -> LoadResult:
    """BPF_PROG_LOAD. func_info entries are (insn_off, type_id); line_info entries are
    (insn_off, file_name_off, line_off, line_col) as in .BTF.ext; ``attach_btf_id``: a
    vmlinux BTF type id (tracing programs' attach target).

    The kernel fails even a safe load with ENOSPC when the log outgrows its buffer (at
    level 1 it prints every insn of the path being explored: 50 MB for a program that
    runs into the 1M-insn limit). The buffer is a ring, so its tail still holds the
    verdict line; we keep that tail (``log_truncated``) and reload at level 0 for the
    true verdict, instead of formatting the whole log again into ever larger buffers."""
    kw = dict(name=name, btf_fd=btf_fd, func_info=func_info, line_info=line_info,
              expected_attach_type=expected_attach_type, prog_flags=prog_flags,
              attach_btf_id=attach_btf_id)
    res = _prog_load_once(insns, prog_type, license, log_level, _log_size(log_level, log_size), **kw)
    if res.errno == _errno.ENOSPC and log_level:
        verdict = _prog_load_once(insns, prog_type, license, 0, 0, **kw)
        verdict.log, verdict.log_truncated = res.log, True
        return verdict
    return res


def _prog_load_once(insns, prog_type, license, log_level, size, *, name, btf_fd, func_info,
                    line_info, expected_attach_type, prog_flags,
                    attach_btf_id=0) -> LoadResult:
    code = _insn_bytes(insns)
    if len(code) % 8:
        raise ValueError("instruction bytes must be a multiple of 8")
    text = ctypes.create_string_buffer(code, len(code))
    lic = ctypes.create_string_buffer(license.encode())
    log = ctypes.create_string_buffer(size) if log_level else None
    fields = [(0, "I", _prog_type(prog_type)), (4, "I", len(code) // 8),
              (8, "Q", _addr(text)), (16, "Q", _addr(lic)),
              (24, "I", log_level), (28, "I", size if log else 0), (32, "Q", _addr(log)),
              (44, "I", prog_flags), (68, "I", expected_attach_type),
              (108, "I", attach_btf_id)]
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


# --- object files through libbpf: kernel_objects, forwarded --------------------------------

_OBJECT_NAMES = frozenset({
    "libbpf_available", "object_programs", "load_object", "run_object", "run_object_show",
    "perf_output_run", "map_items", "ringbuf_records", "bpftool_dump", "ShownMap", "ObjectRun",
    "BPF_MAP_TYPE_RINGBUF", "BPF_MAP_TYPE_PERCPU", "KernelRefused"})


def __getattr__(name: str):
    """``kernel.load_object`` and the other object-side names, from :mod:`kernel_objects`
    (imported on first use: it builds on this module)."""
    if name in _OBJECT_NAMES:
        from . import kernel_objects
        return getattr(kernel_objects, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
