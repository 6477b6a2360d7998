"""String and memory-reading helpers of the mock kernel: ``bpf_strtol``/``bpf_strtoul``
(kernel/bpf/helpers.c, parsing as lib/kstrtox.c), ``bpf_strncmp`` (lib/string.c's
strncmp: -1, 0 or 1) and the ``bpf_probe_read*`` family (kernel/trace/bpf_trace.c).

The test run's memory is all kernel memory to these helpers: ``bpf_probe_read`` and
``bpf_probe_read_str`` (the compat forms) read it as ``bpf_probe_read_kernel`` does; a read
the memory does not back fails with -EFAULT and a zeroed destination, as in the kernel.
"""

from __future__ import annotations

from isa.ints import U32, U64
from isa.uapi import EFAULT, EINVAL

ERANGE = 34
BPF_STRTOX_BASE_MASK = 0x1F
STRTOX_MAX_LEN = 63          # the helper parses a NUL-terminated copy of at most 63 bytes
_SPACE = b" \t\n\v\f\r\xa0"    # lib/ctype.c: 0xa0 is a space too


def _digits(s: bytes, base: int) -> tuple[int, int, bool]:
    """(value, characters consumed, overflowed): lib/kstrtox.c's _parse_integer."""
    v, n, over = 0, 0, False
    for c in s:
        ch = chr(c).lower()
        if "0" <= ch <= "9":
            d = ord(ch) - 48
        elif "a" <= ch <= "f":
            d = ord(ch) - 87
        else:
            break
        if d >= base:
            break
        v = v * base + d
        if v > U64:
            over = True
            v &= U64
        n += 1
    return v, n, over


def _strtoull(text: bytes, flags: int) -> tuple[int, int, bool]:
    """(consumed or -errno, value, negative)."""
    base = flags & BPF_STRTOX_BASE_MASK
    if not text:
        return -EINVAL, 0, False
    if base not in (0, 8, 10, 16) or flags & ~BPF_STRTOX_BASE_MASK:
        return -EINVAL, 0, False
    i = 0
    while i < len(text) and text[i] in _SPACE:
        i += 1
    neg = i < len(text) and text[i] == ord("-")
    i += neg
    if i == len(text):
        return -EINVAL, 0, neg
    s = text[i:i + STRTOX_MAX_LEN].split(b"\0", 1)[0]
    j = 0
    low = s[:2].lower()
    if base == 0:
        if s[:1] == b"0":
            base = 16 if low == b"0x" and len(s) > 2 and chr(s[2]) in "0123456789abcdefABCDEF" \
                else 8
        else:
            base = 10
    if base == 16 and low == b"0x":
        j = 2
    v, n, over = _digits(s[j:], base)
    if over:
        return -ERANGE, 0, neg
    if n == 0:
        return -EINVAL, 0, neg
    return i + j + n, v, neg


def _strto(vm, buf, size, flags, res, signed: bool) -> int:
    size &= U32
    got, v, neg = _strtoull(vm.memory.read(buf, size) if size else b"", flags & U64)
    if got >= 0:
        if signed:
            if neg:
                got, v = (-ERANGE, 0) if -v & U64 and not (-v & U64) >> 63 else (got, -v & U64)
            elif v >> 63:
                got = -ERANGE
        elif neg:
            got = -EINVAL
    vm.memory.store(res, 8, v if got >= 0 else 0)   # an error leaves 0 behind
    return got


def strtol(run, vm, buf, size, flags, res, *_):
    return _strto(vm, buf, size, flags, res, True)


def strtoul(run, vm, buf, size, flags, res, *_):
    return _strto(vm, buf, size, flags, res, False)


def strncmp(run, vm, s1, s1_size, s2, *_):
    """``bpf_strncmp(s1, s1_sz, s2)``: strncmp over at most ``s1_sz`` bytes."""
    for i in range(s1_size & U32):
        a = vm.memory.read(s1 + i, 1)[0]
        b = vm.memory.read(s2 + i, 1)[0]
        if a != b:
            return -1 if a < b else 1
        if not a:
            break
    return 0


def probe_read_kernel(run, vm, dst, size, src, *_):
    size &= U32
    try:
        data = vm.memory.read(src, size) if size else b""
    except Exception:  # noqa: BLE001 - an unreadable source is -EFAULT, not a fault
        vm.memory.write(dst, bytes(size))
        return -EFAULT
    vm.memory.write(dst, data)
    return 0


def probe_read_kernel_str(run, vm, dst, size, src, *_):
    """Copies up to ``size - 1`` bytes and a NUL; the length with the NUL, or -EFAULT
    (with a zeroed destination) when the source is not readable."""
    size &= U32
    if not size:
        return 0
    out = bytearray()
    try:
        while len(out) < size - 1:
            c = vm.memory.read(src + len(out), 1)
            if c == b"\0":
                break
            out += c
    except Exception:  # noqa: BLE001 - as above
        vm.memory.write(dst, bytes(size))
        return -EFAULT
    vm.memory.write(dst, bytes(out) + b"\0")
    return len(out) + 1


probe_read = probe_read_kernel
probe_read_str = probe_read_kernel_str
