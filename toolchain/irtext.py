"""Small, careful helpers for reading and editing LLVM IR *text*.

llvmlite parses IR but cannot edit it, so the stack-argument lowering edits
the text.  These helpers keep that honest: brackets and quoted strings are
respected when splitting argument lists, and attribute keywords are stripped
by name rather than guessed at.
"""

from __future__ import annotations

import re

from .errors import CompileError

_OPEN, _CLOSE = "([{<", ")]}>"


def matching_paren(text: str, start: int) -> int:
    """Index of the ')' closing the '(' at ``start``, skipping quoted strings."""
    depth, i, in_str = 0, start, False
    while i < len(text):
        c = text[i]
        if in_str:
            in_str = c != '"'
        elif c == '"':
            in_str = True
        elif c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise CompileError(f"unbalanced parentheses in IR: {text[start:start + 80]}")


def split_top(text: str) -> list[str]:
    """Split an argument list on commas outside brackets and strings."""
    parts, depth, cur, in_str = [], 0, [], False
    for c in text:
        if in_str:
            in_str = c != '"'
        elif c == '"':
            in_str = True
        elif c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        elif c == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(c)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


# Parameter attributes that may stand between an argument's type and its value.
_ATTR_WORD = re.compile(
    r"(?:zeroext|signext|inreg|noalias|nocapture|nofree|nest|returned|nonnull|noundef|readnone|readonly|"
    r"writeonly|writable|immarg|swiftself|swiftasync|swifterror|allocalign|allocptr|dead_on_unwind|"
    r"(?:align|alignstack)\s+\d+|(?:align|alignstack)\(\d+\)|"
    r"(?:dereferenceable|dereferenceable_or_null|byval|byref|sret|elementtype|inalloca|preallocated|"
    r"captures|range|nofpclass|initializes|memory)\((?:[^()]|\([^()]*\))*\))\s*")


def arg_value(arg_text: str, ty: str) -> str:
    """The value part of ``<type> <attrs> <value>`` in a call's argument list."""
    if not arg_text.startswith(ty):
        raise CompileError(f"unexpected call argument {arg_text!r} (expected type {ty})")
    rest = arg_text[len(ty):].lstrip()
    while True:
        m = _ATTR_WORD.match(rest)
        if not m:
            return rest
        rest = rest[m.end():]


def param_text(param_text: str) -> tuple[str, str | None]:
    """Split a header parameter ``<type> <attrs> [%name]`` into (type-and-attrs, name)."""
    m = re.search(r"\s(%[-\w$.]+|%\"[^\"]*\")$", param_text)
    if m:
        return param_text[:m.start()], m.group(1)
    return param_text, None


_QUOTE_SPLIT = re.compile(r'("(?:[^"\\]|\\.)*")')


def name_numbered_values(body: str) -> str:
    """Turn every unnamed ``%N`` / ``N:`` of a function into ``%_N`` / ``_N:``.

    Named values have no numbering rule, so parameters can then be removed and
    new values added without renumbering the body.
    """
    out = []
    for line in body.split("\n"):
        parts = _QUOTE_SPLIT.split(line)
        for j in range(0, len(parts), 2):
            parts[j] = re.sub(r"%(\d+)\b", r"%_\1", parts[j])
        line = "".join(parts)
        line = re.sub(r"^(\d+):", r"_\1:", line)
        out.append(line)
    return "\n".join(out)


def global_ref(name: str) -> str:
    return "@" + name if re.fullmatch(r"[-a-zA-Z$._][-a-zA-Z$._0-9]*", name) else '@"' + name + '"'


def function_span(text: str, name: str, keyword: str = "define") -> tuple[int, int, int]:
    """(start of the ``define``/``declare`` line, index of '(' of its parameter list, index of ')')."""
    m = re.search(rf"^{keyword}\b[^\n]*?" + re.escape(global_ref(name)) + r"\(", text, re.M)
    if not m:
        raise CompileError(f"function {name}: {keyword} not found in IR")
    open_at = m.end() - 1
    return m.start(), open_at, matching_paren(text, open_at)


_DEFINE_LINE = re.compile(r'^define\b[^\n]*?@(?:"([^"]*)"|([-\w$.]+))\(', re.M)


def definition_starts(text: str) -> dict[str, int]:
    """Name -> index of the '(' opening each definition's parameter list, in one pass."""
    return {m.group(1) if m.group(1) is not None else m.group(2): m.end() - 1
            for m in _DEFINE_LINE.finditer(text)}


def function_body(text: str, close_paren: int) -> tuple[int, int]:
    """(start, end) of the body lines after a definition's parameter list (excluding braces)."""
    start = text.index("{\n", close_paren) + 2
    return start, text.index("\n}\n", start) + 1


_MD_LINE = re.compile(r"^!(\d+) = (distinct )?(.*)$", re.M)


def metadata_nodes(text: str) -> dict[int, str]:
    """Numbered metadata ``!N = ...`` bodies (without 'distinct')."""
    return {int(m.group(1)): m.group(3) for m in _MD_LINE.finditer(text)}


def replace_metadata(text: str, replacements: dict[int, str], new_nodes: list[str]) -> str:
    """Replace numbered metadata bodies and append new ``!N = ...`` lines."""
    def sub(m: re.Match) -> str:
        nid = int(m.group(1))
        return f"!{nid} = {m.group(2) or ''}{replacements[nid]}" if nid in replacements else m.group(0)
    text = _MD_LINE.sub(sub, text)
    return text.rstrip("\n") + "\n" + "".join(n + "\n" for n in new_nodes)


_SIG_LINE = re.compile(r"^(?:define|declare)\b[^\n]*?@[-\w$.\"]+\(|\bcall\b[^\n]*?[@%][-\w$.\"]+\(", re.M)
_TWO_PIECE = re.compile(r"^(?:i128|fp128|\[2 x i64\])(?:\s|$)")


def may_need_lowering(text: str, max_pieces: int = 5) -> bool:
    """Cheap pre-check (no IR parser): could any signature or call pass more than
    ``max_pieces`` 64-bit pieces, or did the optimiser change a signature (nocall)?

    A False answer is exact; True only means the full lowering must look.
    """
    if "DW_CC_nocall" in text:
        return True
    for m in _SIG_LINE.finditer(text):
        open_at = m.end() - 1
        close_at = text.find(")", open_at)
        if close_at < 0 or text.count(",", open_at, close_at) < max_pieces - 1 and \
                not any(t in text[open_at:close_at] for t in ("i128", "fp128", "x i64]", "(")):
            continue  # fewer than max_pieces commas and nothing nested or 16-byte: small
        params = split_top(text[open_at + 1:matching_paren(text, open_at)])
        if sum(2 if _TWO_PIECE.match(p) else 1 for p in params) > max_pieces:
            return True
    return False


# clang -emit-llvm-uselists: "; uselistorder directives" then one line per reordered value,
# at the end of a function body (indented) or of the module
_USELISTS = re.compile(r"\n?; uselistorder directives\n(?:[ \t]*uselistorder(?:_bb)? [^\n]*\n)+")


def strip_uselists(ir_text: str) -> str:
    """``ir_text`` without use-list order directives (the text clang prints without
    ``-emit-llvm-uselists``): a rewritten function's uses no longer match them."""
    if "uselistorder" not in ir_text:
        return ir_text
    return _USELISTS.sub("", ir_text)
