"""``.kconfig`` externs (``extern int LINUX_KERNEL_VERSION __kconfig;``) resolved as libbpf does.

libbpf's counterparts: ``bpf_object__collect_externs`` (an extern whose BTF VAR sits in the
``.kconfig`` DATASEC is a Kconfig extern; its type must be bool, char, ``enum
libbpf_tristate``, a 1/2/4/8-byte integer or a char array; externs are sorted by descending
alignment, ascending size, then name, and laid out in that order), ``bpf_object__init_kconfig_map``
(one read-only, frozen single-element array map ``.kconfig``),
``bpf_object__resolve_externs`` / ``bpf_object__process_kconfig_line`` (``LINUX_KERNEL_VERSION``
from ``uname``, ``LINUX_HAS_BPF_COOKIE`` and ``LINUX_HAS_SYSCALL_WRAPPER`` as this kernel
generation has them, ``CONFIG_*`` from a ``.config``: ``y``/``n``/``m``, quoted strings and
``strtoull`` integers; a missing weak extern is 0, a missing strong one fails the load) and
``bpf_object__relocate_data`` (each ``LD_IMM64`` of the extern becomes a map-value load of
``.kconfig`` at the extern's offset).

Where the values come from, first match wins: the user's config (``--kconfig FILE``, plain or
gzip, or a ``{name: value}`` mapping), then the target kernel's own: the running kernel's
``/boot/config-$(uname -r)`` or ``/proc/config.gz`` when the target BTF is this machine's
vmlinux (what libbpf reads), otherwise the mock kernel's configuration :data:`MOCK_CONFIG`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from btf import kinds as L
from isa.ints import U64

from .errors import BAD_INPUT, REJECTED, UserError

# The mock kernel's .config: the common options BPF programs test, as a Linux 6.x x86-64
# kernel built for BPF has them.
MOCK_CONFIG = {
    "CONFIG_64BIT": "y", "CONFIG_X86": "y", "CONFIG_X86_64": "y", "CONFIG_SMP": "y",
    "CONFIG_NR_CPUS": "256", "CONFIG_NUMA": "y", "CONFIG_HZ": "250", "CONFIG_HZ_250": "y",
    "CONFIG_PAGE_SIZE_4KB": "y", "CONFIG_PAGE_SHIFT": "12", "CONFIG_PREEMPT_NONE": "y",
    "CONFIG_PREEMPT_DYNAMIC": "y", "CONFIG_PREEMPT_RCU": "y",
    "CONFIG_BPF": "y", "CONFIG_BPF_SYSCALL": "y", "CONFIG_BPF_JIT": "y",
    "CONFIG_BPF_JIT_ALWAYS_ON": "y", "CONFIG_BPF_JIT_DEFAULT_ON": "y", "CONFIG_HAVE_EBPF_JIT": "y",
    "CONFIG_BPF_EVENTS": "y", "CONFIG_BPF_LSM": "y", "CONFIG_BPF_STREAM_PARSER": "y",
    "CONFIG_BPF_UNPRIV_DEFAULT_OFF": "y", "CONFIG_DEBUG_INFO_BTF": "y", "CONFIG_CGROUPS": "y",
    "CONFIG_CGROUP_BPF": "y", "CONFIG_MEMCG": "y", "CONFIG_KALLSYMS": "y",
    "CONFIG_PERF_EVENTS": "y", "CONFIG_TRACEPOINTS": "y", "CONFIG_UPROBES": "y",
    "CONFIG_FTRACE": "y", "CONFIG_FUNCTION_TRACER": "y", "CONFIG_DYNAMIC_FTRACE": "y",
    "CONFIG_ARCH_HAS_SYSCALL_WRAPPER": "y", "CONFIG_NET": "y", "CONFIG_INET": "y",
    "CONFIG_IPV6": "y", "CONFIG_NETFILTER": "y", "CONFIG_XDP_SOCKETS": "y",
    "CONFIG_NET_SCH_INGRESS": "y", "CONFIG_NET_CLS_BPF": "y", "CONFIG_NET_CLS_ACT": "y",
    "CONFIG_CGROUP_NET_CLASSID": "y", "CONFIG_SECURITY": "y",
}
# libbpf's virtual externs on this kernel generation (both features exist since 5.15 / 4.17)
VIRTUAL = {"LINUX_HAS_BPF_COOKIE": 1, "LINUX_HAS_SYSCALL_WRAPPER": 1}
KCONFIG_SEC = ".kconfig"

BOOL, CHAR, TRISTATE, INT, CHAR_ARR = "bool", "char", "tristate", "int", "char_arr"
TRI = {"n": 0, "y": 1, "m": 2}          # enum libbpf_tristate


@dataclass
class KcfgExtern:
    name: str
    weak: bool
    type: str
    size: int
    align: int
    signed: bool
    offset: int = 0
    value: object = None        # what it was set to (None: unset, defaults to zero)


@dataclass
class Kconfig:
    """The ``.kconfig`` map of one object: layout, contents, and where each value came from."""
    externs: list[KcfgExtern]
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    def offset(self, name: str) -> int | None:
        return next((e.offset for e in self.externs if e.name == name), None)


def kernel_version(release: str | None = None) -> int:
    """libbpf's get_kernel_version: KERNEL_VERSION(a, b, min(c, 255)) from ``uname -r``."""
    m = re.match(r"(\d+)\.(\d+)\.(\d+)", release if release is not None else os.uname().release)
    if not m:
        return 0
    a, b, c = (int(x) for x in m.groups())
    return (a << 16) + (b << 8) + min(c, 255)


def _fail(path: str, msg: str) -> UserError:
    return UserError("kconfig", f"{path}: {msg}", path, REJECTED)


def collect(btf, elf) -> list[KcfgExtern]:
    """bpf_object__collect_externs for the ``.kconfig`` externs, sorted and laid out."""
    if btf is None:
        return []
    sec_of = {}
    for sec in btf.find(KCONFIG_SEC, L.DATASEC):
        for vs in sec.secinfos:
            sec_of[vs.type] = sec.name
    if not sec_of:
        return []
    out = []
    for ext in elf.externs:
        t = next((x for x in btf.find(ext.name) if x.kind in (L.VAR, L.FUNC)), None)
        if t is None or t.id not in sec_of:
            continue
        if t.kind == L.FUNC:
            raise _fail(elf.path, f"extern function {t.name} is unsupported under {KCONFIG_SEC} "
                                  "section")
        typ, signed = _kcfg_type(btf, t.type)
        if typ is None:
            raise _fail(elf.path, f"extern (kcfg) '{t.name}': type is unsupported")
        out.append(KcfgExtern(t.name, ext.weak, typ, btf.size_of(t.type), btf.align_of(t.type),
                              signed))
    out.sort(key=lambda e: (-e.align, e.size, e.name.encode()))
    off = 0
    for e in out:
        e.offset = -(-off // e.align) * e.align
        off = e.offset + e.size
    return out


def _kcfg_type(btf, tid: int):
    """find_kcfg_type: (kind, signed) or (None, False)."""
    t = btf.resolve(tid)
    if t.kind == L.INT:
        enc = t.int_encoding
        if enc & 4:                                   # BTF_INT_BOOL
            return (BOOL if t.size == 1 else None), False
        if t.size == 1:
            return CHAR, bool(enc & 1)
        if t.size not in (2, 4, 8):
            return None, False
        return INT, bool(enc & 1)
    if t.kind in (L.ENUM, L.ENUM64):
        ok = t.name == "libbpf_tristate" and (t.kind == L.ENUM64 or t.size == 4)
        return (TRISTATE if ok else None), False
    if t.kind == L.ARRAY:
        elem, _, n = t.array
        if n == 0 or _kcfg_type(btf, elem)[0] != CHAR:
            return None, False
        return CHAR_ARR, False
    return None, False


def read_config(path: str | Path) -> list[tuple[str, str]]:
    """(name, value) of each ``CONFIG_*=`` line of a .config (plain or gzip)."""
    import gzip
    p = Path(path)
    try:
        raw = p.read_bytes()
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("latin-1")
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise UserError("io", f"--kconfig {path}: cannot read: {getattr(e, 'strerror', None) or e}",
                        str(path), BAD_INPUT) from None
    out = []
    for line in text.splitlines():
        if not line.startswith("CONFIG_"):
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise _fail(str(path), f"failed to parse '{line}': no separator")
        if not value:
            raise _fail(str(path), f"failed to parse '{line}': no value")
        out.append((name, value))
    return out


def system_config() -> list[tuple[str, str]] | None:
    """The running kernel's config, where libbpf looks for it (None: none readable)."""
    for p in (f"/boot/config-{os.uname().release}", "/proc/config.gz"):
        if os.access(p, os.R_OK):
            return read_config(p)
    return None


def resolve(btf, elf, user=None, *, system: bool = False) -> Kconfig | None:
    """The ``.kconfig`` map of ``elf`` (a loader object) with its values, or None when it has
    no Kconfig externs.  ``user``: a .config path or ``{name: value}``; ``system``: take
    unset ``CONFIG_*`` from the running kernel's config (else from :data:`MOCK_CONFIG`)."""
    exts = collect(btf, elf)
    if not exts:
        return None
    where = elf.path
    data = bytearray(exts[-1].offset + exts[-1].size)
    by_name = {e.name: e for e in exts}
    for e in exts:
        if e.name.startswith("CONFIG_"):
            continue
        if e.name == "LINUX_KERNEL_VERSION":
            v = kernel_version()
            if isinstance(user, dict) and e.name in user:
                v = int(user[e.name])
            if not v:
                raise _fail(where, f"extern (kcfg) '{e.name}': failed to get kernel version")
        elif e.name in VIRTUAL:
            v = VIRTUAL[e.name]
        elif not e.name.startswith("LINUX_") or not e.weak:
            raise _fail(where, f"extern (kcfg) '{e.name}': unrecognized virtual extern")
        else:
            v = 0
        _set_num(where, e, data, v)
    sources = []
    if isinstance(user, dict):
        sources.append([(k, str(v)) for k, v in user.items() if k.startswith("CONFIG_")])
    elif user is not None:
        sources.append(read_config(user))
    if any(e.value is None for e in exts if e.name.startswith("CONFIG_")):
        sysconf = system_config() if system else None
        sources.append(sysconf if sysconf is not None else list(MOCK_CONFIG.items()))
    for lines in sources:
        for name, value in lines:
            e = by_name.get(name)
            if e is not None and e.value is None:
                _set_value(where, e, data, value)
    for e in exts:
        if e.value is None and not e.weak:
            raise _fail(where, f"extern '{e.name}' (strong): not resolved")
    return Kconfig(exts, bytes(data))


def _set_value(where: str, e: KcfgExtern, data: bytearray, value: str) -> None:
    """bpf_object__process_kconfig_line for one extern."""
    c = value[0]
    if c in "ynm":
        if e.type == BOOL:
            if c == "m":
                raise _fail(where, f"extern (kcfg) '{e.name}': value '{c}' implies tristate or "
                                   "char type")
            data[e.offset] = int(c == "y")
        elif e.type == TRISTATE:
            data[e.offset:e.offset + 4] = TRI[c].to_bytes(4, "little")
        elif e.type == CHAR:
            data[e.offset] = ord(c)
        else:
            raise _fail(where, f"extern (kcfg) '{e.name}': value '{c}' implies bool, tristate, "
                               "or char type")
        e.value = value
    elif c == '"':
        if e.type != CHAR_ARR:
            raise _fail(where, f"extern (kcfg) '{e.name}': value '{value}' implies char array "
                               "type")
        if len(value) < 2 or value[-1] != '"':
            raise _fail(where, f"extern (kcfg) '{e.name}': invalid string config '{value}'")
        s = value[1:-1].encode("latin-1")[:e.size - 1]
        data[e.offset:e.offset + e.size] = s.ljust(e.size, b"\0")
        e.value = value
    else:
        num = _parse_u64(value)
        if num is None:
            raise _fail(where, f"extern (kcfg) '{e.name}': value '{value}' isn't a valid integer")
        if e.type not in (INT, CHAR):
            raise _fail(where, f"extern (kcfg) '{e.name}': value '{value}' implies integer type")
        _set_num(where, e, data, num)
        e.value = value


def _parse_u64(text: str) -> int | None:
    """strtoull(text, &end, 0) consuming the whole string."""
    s = text.strip(" \t")
    neg = s.startswith("-")
    body = s[1:] if s[:1] in "+-" else s
    try:
        if body[:2].lower() == "0x":
            v = int(body[2:], 16)
        elif body.startswith("0") and len(body) > 1:
            v = int(body[1:], 8)
        else:
            v = int(body, 10)
    except ValueError:
        return None
    if v > U64:
        return None
    return (-v if neg else v) & U64


def _set_num(where: str, e: KcfgExtern, data: bytearray, value: int) -> None:
    """set_kcfg_value_num."""
    if e.type not in (INT, CHAR, BOOL):
        raise _fail(where, f"extern (kcfg) '{e.name}': value '{value}' implies integer, char, "
                           "or boolean type")
    if e.type == BOOL and value > 1:
        raise _fail(where, f"extern (kcfg) '{e.name}': value '{value}' isn't boolean compatible")
    bits = e.size * 8
    ok = e.size == 8 or (((value + (1 << (bits - 1))) & U64) < (1 << bits) if e.signed
                         else value >> bits == 0)
    if not ok:
        raise _fail(where, f"extern (kcfg) '{e.name}': value '{value}' doesn't fit in {e.size} "
                           "bytes")
    data[e.offset:e.offset + e.size] = (value & ((1 << bits) - 1)).to_bytes(e.size, "little")
    e.value = value
