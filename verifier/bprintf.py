"""Format strings of the printf-like helpers, as the verifier checks them before a
``bpf_snprintf`` call (kernel: ``check_bpf_snprintf_call`` running ``bpf_bprintf_prepare``
in kernel/bpf/helpers.c without arguments).

Accepted: plain text (printable ASCII, whitespace or bytes >= 0x80), ``%%``, and at most
``num_args`` conversions, each with optional ``[0 +-]`` flags and a width, then one of
``%p`` (bare, or ``%pK %px %ps %pS %pB %pi4 %pI4 %pi6 %pI6``, or ``%pks %pus``), ``%s``,
``%c``, or ``%[l[l]]{i,d,u,x,X}``; a string conversion must be followed by the end,
whitespace or punctuation.
"""

from __future__ import annotations

_SPACE = frozenset(b" \t\n\v\f\r")


def _printable(c: int) -> bool:
    return 0x20 <= c < 0x7F


def _punct(c: int) -> bool:
    return _printable(c) and not chr(c).isalnum() and c != 0x20


def _ends_word(c: int) -> bool:
    return c == 0 or c in _SPACE or _punct(c)


def format_ok(fmt: bytes, num_args: int) -> bool:
    """Whether the zero-terminated ``fmt`` is a format the kernel accepts for ``num_args``
    u64 arguments."""
    s = fmt.split(b"\0", 1)[0]
    end = len(s)

    def at(k: int) -> int:
        return s[k] if k < end else 0

    spec = 0
    i = 0
    while i < end:
        c = s[i]
        if c < 0x80 and not _printable(c) and c not in _SPACE:
            return False
        if c != 0x25:                                   # '%'
            i += 1
            continue
        if at(i + 1) == 0x25:
            i += 2
            continue
        if spec >= num_args:
            return False
        i += 1
        if at(i) >= 0x80:
            return False
        while at(i) in b"0+- ":
            i += 1
        if 0x31 <= at(i) <= 0x39:
            i += 1
            while 0x30 <= at(i) <= 0x39:
                i += 1
        c = at(i)
        if c == ord("p"):
            nxt = at(i + 1)
            if _ends_word(nxt):
                pass
            elif nxt in b"ku" and at(i + 2) == ord("s"):
                i += 2
                if not _ends_word(at(i + 1)):
                    return False
            elif nxt in b"KxsSB":
                i += 1
            elif nxt in b"iI" and at(i + 2) in b"46":
                i += 2
            else:
                return False
        elif c == ord("s"):
            if not _ends_word(at(i + 1)):
                return False
        elif c != ord("c"):
            if c == ord("l"):
                i += 1
            if at(i) == ord("l"):
                i += 1
            if at(i) not in b"iduxX":
                return False
        spec += 1
        i += 1
    return True
