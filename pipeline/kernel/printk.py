"""The kernel's BPF printf: which format strings ``bpf_trace_printk``, ``bpf_trace_vprintk``
and ``bpf_snprintf`` accept (kernel/bpf/helpers.c, ``bpf_bprintf_prepare``) and what they
print (lib/vsprintf.c's ``bstr_printf``).

Accepted conversions: ``%d %i %u %x %X`` with ``l``/``ll``, ``%c``, ``%s`` (also ``%pks``),
``%pI4 %pi4 %pI6 %pi6`` (the address read from the pointer), ``%p %pK %px %ps %pS %pB``
(a pointer as 16 hex digits: the kernel may hash ``%p``; here it never does), ``%%``;
flags ``0 + - space`` and a width, no precision.  Which formats are accepted is one rule,
:func:`verifier.bprintf.format_ok` (the verifier checks a constant ``bpf_snprintf`` format
with it at load): anything else, a format without its NUL, or more conversions than
arguments makes the helper return -EINVAL and print nothing.  A string or address the memory does not back
prints as empty / zeros, as in the kernel.
"""

from __future__ import annotations

from isa.ints import U32, U64
from isa.uapi import EINVAL
from verifier.bprintf import format_ok

MAX_BPRINTF_VARARGS = 12
MAX_BPRINTF_BUF = 1024          # the formatted text is cut to this many bytes, NUL included
MAX_STR = 512                   # bytes of one %s argument read at most

_FLAGS = "0+- "
_PTR_PLAIN = "KxsSB"


def _read_str(vm, addr: int) -> str:
    out = bytearray()
    try:
        while len(out) < MAX_STR - 1:
            c = vm.memory.read((addr + len(out)) & U64, 1)
            if c == b"\0":
                break
            out += c
    except Exception:  # noqa: BLE001 - an unreadable string prints as nothing
        return ""
    return out.decode("latin-1")


def _read(vm, addr: int, n: int) -> bytes:
    try:
        return vm.memory.read(addr & U64, n)
    except Exception:  # noqa: BLE001 - an unreadable address prints as zeros
        return bytes(n)


def bprintf(vm, fmt: bytes, args: list[int], limit: int | None = MAX_BPRINTF_BUF - 1
            ) -> str | int:
    """The text ``fmt`` formats ``args`` (raw u64 values) to (at most ``limit`` characters,
    as bpf_trace_printk's buffer), or -EINVAL."""
    end = fmt.find(b"\0")
    if end < 0:
        return -EINVAL
    if not format_ok(fmt, len(args)):       # the rule the verifier checks at load, too
        return -EINVAL
    fmt = fmt[:end]
    out: list[str] = []
    i, n = 0, 0
    while i < len(fmt):
        c = fmt[i]
        if c != ord("%"):
            out.append(chr(c))
            i += 1
            continue
        if fmt[i + 1:i + 2] == b"%":
            out.append("%")
            i += 2
            continue
        if n >= len(args):
            return -EINVAL
        j = i + 1
        while j < len(fmt) and chr(fmt[j]) in _FLAGS:
            j += 1
        if j < len(fmt) and 0x31 <= fmt[j] <= 0x39:
            j += 1
            while j < len(fmt) and 0x30 <= fmt[j] <= 0x39:
                j += 1
        spec = fmt[i + 1:j].decode()            # flags and width
        conv = chr(fmt[j]) if j < len(fmt) else ""
        nxt = chr(fmt[j + 1]) if j + 1 < len(fmt) else ""
        arg = args[n] & U64
        n += 1
        if conv == "p":
            if nxt in ("", *_PTR_PLAIN) or nxt.isspace() or (nxt.isascii() and
                                                             not nxt.isalnum()):
                out.append(("%" + spec + "s") % f"{arg:016x}")
                i = j + 1 + (nxt in _PTR_PLAIN and nxt != "")
                continue
            if nxt in "ku" and fmt[j + 2:j + 3] == b"s":
                out.append(("%" + spec + "s") % _read_str(vm, arg))
                i = j + 3
                continue
            kind = fmt[j + 1:j + 3].decode("latin-1")
            if kind not in ("I4", "i4", "I6", "i6"):
                return -EINVAL
            raw = _read(vm, arg, 4 if kind[1] == "4" else 16)
            if kind == "I4":
                text = ".".join(str(b) for b in raw)
            elif kind == "i4":
                text = ".".join(f"{b:03d}" for b in raw)
            elif kind == "I6":
                text = ":".join(raw[k:k + 2].hex() for k in range(0, 16, 2))
            else:
                text = raw.hex()
            out.append(("%" + spec + "s") % text)
            i = j + 3
            continue
        if conv == "s":
            out.append(("%" + spec + "s") % _read_str(vm, arg))
            i = j + 1
            continue
        if conv == "c":
            out.append(("%" + spec + "c") % chr(arg & 0xFF))
            i = j + 1
            continue
        bits = 32
        if conv == "l":
            bits, j = 64, j + 1
            if fmt[j:j + 1] == b"l":
                j += 1
            conv = chr(fmt[j]) if j < len(fmt) else ""
        if conv not in ("d", "i", "u", "x", "X"):
            return -EINVAL
        v = arg & (U64 if bits == 64 else U32)
        if conv in "di":
            v = v - (1 << bits) if v >> (bits - 1) else v
            conv = "d"
        elif conv == "u":
            conv = "d"
        out.append(("%" + spec + conv) % v)
        i = j + 1
    text = "".join(out)
    return text if limit is None else text[:limit]
