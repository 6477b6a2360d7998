"""Kernel-selftest annotations carried in BTF decl tags (bpf_misc.h).

A tag ``comment:<N>:key[=value]`` (current format, N = ``__COUNTER__``) or
``comment:key[=value]`` (older format; ``__msg`` then put the counter after the
key: ``comment:test_expect_msg=<N>=<msg>``) annotates a program function.
We strip ``comment:``, an optional ``<digits>:``, split ``key[=value]``, and use
the counter where present to restore source order (otherwise BTF order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from btf import kinds as L
from btf.graph import Btf

PREFIX = "comment:"
_COUNTER = re.compile(r"^(\d+):")
_OLD_MSG_COUNTER = re.compile(r"^(\d+)=")
# keys whose old-format values begin with "<counter>="
_MSG_KEYS = {"test_expect_msg", "test_expect_not_msg", "test_expect_msg_unpriv",
             "test_expect_not_msg_unpriv", "test_expect_xlated", "test_expect_xlated_unpriv",
             "test_jited", "test_jited_unpriv", "test_expect_stderr", "test_expect_stdout",
             "test_expect_stderr_unpriv", "test_expect_stdout_unpriv"}


@dataclass(frozen=True)
class Annotation:
    key: str
    value: str | None     # None for flag-like tags (test_expect_success)
    counter: int | None   # __COUNTER__ value when the tag carried one
    tag_id: int           # the DECL_TAG type id (BTF order tie-breaker)


def parse_tag(text: str, tag_id: int = 0) -> Annotation | None:
    """One decl-tag string -> Annotation, or None when it is not a ``comment:`` tag."""
    if not text.startswith(PREFIX):
        return None
    rest = text[len(PREFIX):]
    counter = None
    m = _COUNTER.match(rest)
    if m:
        counter = int(m.group(1))
        rest = rest[m.end():]
    key, eq, value = rest.partition("=")
    if not eq:
        return Annotation(key, None, counter, tag_id)
    if counter is None and key in _MSG_KEYS:
        m = _OLD_MSG_COUNTER.match(value)
        if m:
            counter = int(m.group(1))
            value = value[m.end():]
    return Annotation(key, value, counter, tag_id)


def annotations_of(btf: Btf, func_id: int) -> list[Annotation]:
    """Annotations on one function (component_idx -1), in source order."""
    out = []
    for d in btf.decl_tags(func_id, -1):
        a = parse_tag(d.value, d.tag_id)
        if a is not None:
            out.append(a)
    # counters give source order; untagged ones keep BTF order after them
    return sorted(out, key=lambda a: (a.counter is None, a.counter or 0, a.tag_id))


def program_annotations(btf: Btf) -> dict[str, list[Annotation]]:
    """Every annotated FUNC by name."""
    res = {}
    for t in btf.types:
        if t.kind == L.FUNC:
            ann = annotations_of(btf, t.id)
            if ann:
                res[t.name] = ann
    return res
