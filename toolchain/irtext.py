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


# what bracket matching looks at: a quoted string (to its closing quote, or to the end of the
# text when unterminated), a bracket, a comma; everything else is skipped by the regex engine
_BRACKET_TOKEN = re.compile(r'"[^"]*(?:"|\Z)|[()\[\]{}<>]')
_SPLIT_TOKEN = re.compile(r'"[^"]*(?:"|\Z)|[()\[\]{}<>,]')


def matching_paren(text: str, start: int) -> int:
    """Index of the ')' closing the '(' at ``start``, skipping quoted strings."""
    depth = 0
    for m in _BRACKET_TOKEN.finditer(text, start):
        c = m.group()
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
            if depth == 0:
                return m.start()
    raise CompileError(f"unbalanced parentheses in IR: {text[start:start + 80]}")


def split_top(text: str) -> list[str]:
    """Split an argument list on commas outside brackets and strings."""
    if not any(c in text for c in '"()[]{}<>'):     # a flat list: split on every comma
        parts = [p.strip() for p in text.split(",")]
        if not parts[-1]:
            parts.pop()
        return parts
    if not any(c in text for c in '"[]{}<>'):       # only parentheses nest (range(...), ...)
        pieces = text.split(",")
        parts, depth, held = [], 0, []
        for piece in pieces[:-1]:                   # each piece ends at a comma
            held.append(piece)
            depth += piece.count("(") - piece.count(")")
            if depth == 0:                          # a comma outside every parenthesis
                parts.append(",".join(held).strip())
                held = []
        rest = ",".join(held + pieces[-1:]).strip()
        if rest:
            parts.append(rest)
        return parts
    parts, depth, start = [], 0, 0
    for m in _SPLIT_TOKEN.finditer(text):
        c = m.group()
        if c == ",":
            if depth == 0:
                parts.append(text[start:m.start()].strip())
                start = m.end()
        elif c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
    if text[start:].strip():
        parts.append(text[start:].strip())
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
    m = _PARAM_NAME.search(param_text)
    if m:
        return param_text[:m.start()], m.group(1)
    return param_text, None


_PARAM_NAME = re.compile(r"\s(%[-\w$.]+|%\"[^\"]*\")$")
_QUOTE_SPLIT = re.compile(r'("(?:[^"\\]|\\.)*")')


def name_numbered_values(body: str) -> str:
    """Turn every unnamed ``%N`` / ``N:`` of a function into ``%_N`` / ``_N:``.

    Named values have no numbering rule, so parameters can then be removed and
    new values added without renumbering the body.
    """
    if '"' not in body:                  # no quoted string to leave alone: one pass each
        return _LABEL.sub(r"_\1:", _NUMBERED.sub(r"%_\1", body))
    out = []
    for line in body.split("\n"):
        parts = _QUOTE_SPLIT.split(line)
        for j in range(0, len(parts), 2):
            parts[j] = _NUMBERED.sub(r"%_\1", parts[j])
        line = "".join(parts)
        line = _LABEL.sub(r"_\1:", line)
        out.append(line)
    return "\n".join(out)


_NUMBERED = re.compile(r"%(\d+)\b")
_LABEL = re.compile(r"^(\d+):", re.M)


def keyword_matches(pattern: re.Pattern, text: str, pos: int = 0):
    """``pattern.finditer(text, pos)`` for a pattern that starts with a keyword, keeping
    only matches where the keyword starts a word (what a leading ``\\b`` checks; spelled
    this way, the regex engine searches for the keyword's letters instead of trying every
    position of a large module)."""
    while (m := pattern.search(text, pos)) is not None:
        at = m.start()
        if at and (text[at - 1].isalnum() or text[at - 1] == "_"):
            pos = at + 1                 # the keyword's letters end a longer name
            continue
        yield m
        pos = m.end()


def global_ref(name: str) -> str:
    return "@" + name if re.fullmatch(r"[-a-zA-Z$._][-a-zA-Z$._0-9]*", name) else '@"' + name + '"'


def function_span(text: str, name: str, keyword: str = "define") -> tuple[int, int, int]:
    """(start of the ``define``/``declare`` line, index of '(' of its parameter list, index of ')')."""
    # the first line "define ... @name(": searched as "\ndefine" in "\n" + text, one past
    m = re.compile(rf"\n{keyword}\b[^\n]*?" + re.escape(global_ref(name)) + r"\(").search("\n" + text)
    if not m:
        raise CompileError(f"function {name}: {keyword} not found in IR")
    open_at = m.end() - 2
    return m.start(), open_at, matching_paren(text, open_at)


# a definition's line: "define ... @name(" (the literal newline lets the regex engine search
# for "\ndefine" instead of trying every position; the text's first line is handled apart)
_DEFINE_LINE = re.compile(r'\ndefine\b[^\n]*?(@)(?:"([^"]*)"|([-\w$.]+))\(')


def definitions(text: str) -> list[tuple[str, int, int]]:
    """(name, index of its '@', index of the '(' opening its parameter list) of every
    definition, in text order."""
    found = _DEFINE_LINE.finditer("\n" + text)          # indices one past the text's
    return [(m.group(2) if m.group(2) is not None else m.group(3), m.start(1) - 1, m.end() - 2)
            for m in found]


def definition_starts(text: str) -> dict[str, int]:
    """Name -> index of the '(' opening each definition's parameter list, in one pass."""
    return {name: open_at for name, _, open_at in definitions(text)}


def function_body(text: str, close_paren: int) -> tuple[int, int]:
    """(start, end) of the body lines after a definition's parameter list (excluding braces)."""
    start = text.index("{\n", close_paren) + 2
    return start, text.index("\n}\n", start) + 1


def _metadata_start(text: str) -> int:
    """Offset of the text's first line starting with '!' (where numbered metadata starts: no
    other IR line starts with '!'); the text's length when there is none."""
    if text.startswith("!"):
        return 0
    start = text.find("\n!") + 1
    return start if start else len(text)


# a numbered metadata line: its number and body (without 'distinct')
_METADATA_NODE = re.compile(r"^!(\d+) = (?:distinct )?(.*)", re.M)


def metadata_table(text: str) -> tuple[int, dict[int, str]]:
    """(offset, bodies) of the numbered metadata: where its lines start (see
    :func:`_metadata_start`) and each ``!N = [distinct ]body``'s body, without 'distinct'
    (for :func:`replace_metadata`)."""
    start = _metadata_start(text)
    found = _METADATA_NODE.findall(text, start)
    nodes = {int(n): body for n, body in found}
    if len(nodes) != len(found):
        seen: set[int] = set()
        twice = next(int(n) for n, _ in found if int(n) in seen or seen.add(int(n)))
        raise CompileError(f"invalid IR: metadata !{twice} is defined twice")
    return start, nodes


def replace_metadata(text: str, replacements: dict[int, str], new_nodes: list[str],
                     table=None) -> str:
    """Replace numbered metadata bodies (keeping 'distinct') and append new ``!N = ...``
    lines (``table``: the text's :func:`metadata_table`, when the caller has it)."""
    start, nodes = table if table is not None else metadata_table(text)
    edits = []
    pos = start
    for nid in sorted(replacements):         # clang prints the nodes in number order
        if nid not in nodes:
            continue
        at = _metadata_line(text, nid, pos, start)
        pos = text.find("\n", at)
        if pos < 0:
            pos = len(text)
        head = f"!{nid} = "
        distinct = "distinct " if text.startswith("distinct ", at + len(head)) else ""
        edits.append((at, pos, f"{head}{distinct}{replacements[nid]}"))
    out, done = [], 0
    for at, end, line in sorted(edits):
        out += [text[done:at], line]
        done = end
    text = "".join(out) + text[done:]
    return text.rstrip("\n") + "\n" + "".join(n + "\n" for n in new_nodes)


def _metadata_line(text: str, nid: int, pos: int, start: int) -> int:
    """Offset of the line defining ``!nid``: the first at or after ``pos`` (a line start or
    the newline before one), else the first at or after ``start``; the caller knows it exists."""
    head = f"\n!{nid} = "
    for frm in (pos, start):
        if frm == 0 and text.startswith(head[1:]):
            return 0
        at = text.find(head, max(frm - 1, 0))
        if at >= 0:
            return at + 1
    raise CompileError(f"internal error: metadata !{nid} not found in IR")


# where a parameter or argument list opens: a define/declare line, a call (direct or through
# a value; see keyword_matches)
_DEF_LINE = re.compile(r"\n(?:define|declare)\b[^\n]*?@[-\w$.\"]+\(")    # in "\n" + text
_CALL = re.compile(r"call\b[^\n]*?[@%][-\w$.\"]+\(")
# a list whose items hold at most one level of parentheses, and no quoted string
_ONE_LEVEL_LIST = re.compile(r'\(((?:[^()"]|\([^()"]*\))*)\)')
_PAREN_GROUP = re.compile(r"\([^()]*\)")
_TWO_PIECE = re.compile(r"^(?:i128|fp128|\[2 x i64\])(?:\s|$)")


def _list_opens(text: str):
    """Index of each '(' opening a define/declare parameter list or a call's argument list."""
    for m in _DEF_LINE.finditer("\n" + text):
        yield m.end() - 2
    for m in keyword_matches(_CALL, text):
        yield m.end() - 1


def may_need_lowering(text: str, max_pieces: int = 5) -> bool:
    """Cheap pre-check (no IR parser): could any signature or call pass more than
    ``max_pieces`` 64-bit pieces, or did the optimiser change a signature (nocall)?

    A False answer is exact; True only means the full lowering must look.
    """
    return "DW_CC_nocall" in text or may_pass_stack_args(text, max_pieces)


def may_pass_stack_args(text: str, max_pieces: int = 5) -> bool:
    """Could any definition, declaration or call (direct or indirect) pass more than
    ``max_pieces`` 64-bit pieces?  A False answer is exact (no IR parser needed)."""
    for open_at in _list_opens(text):
        close_at = text.find(")", open_at)
        if close_at < 0:
            continue
        head = text[open_at + 1:close_at]
        if head.count(",") < max_pieces and "(" not in head and "i128" not in head and \
                "fp128" not in head and "x i64]" not in head:
            continue  # at most max_pieces items, nothing nested or 16-byte: small
        one_level = _ONE_LEVEL_LIST.match(text, open_at)
        if one_level is not None:
            # parenthesised groups one level down (range(i64 0, 8), captures(none), a
            # constant expression) are parts of one item: without them, the commas left are
            # the item separators when no other bracket or string is there to nest them
            outer = _PAREN_GROUP.sub("", one_level.group(1))
            if outer.count(",") < max_pieces and not any(
                    t in outer for t in ("i128", "fp128", "[", "{", "<", '"')):
                continue  # at most max_pieces items of one piece each: small
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
