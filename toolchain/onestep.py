"""One ``clang -c`` instead of two runs on the lowered path, when nothing needs lowering.

The lowered path (``toolchain.driver``) compiles C to optimised IR, lets
:func:`toolchain.lower.lower_module` rewrite it, and runs clang's code generator on the
result (``-Xclang -disable-llvm-passes``).  When the IR needs no rewrite, the object is
what a plain ``clang -c`` with the same flags makes, so the driver first tries that one run when
:func:`source_may_need_lowering` sees no call or definition that could pass six or more
arguments and :func:`source_may_drop_arguments` predicts no ``DW_CC_nocall`` function.
The object is kept unless

* clang fails (a call over five 64-bit pieces the scan could not see, e.g. behind a
  macro from a header or with 16-byte arguments: LLVM 22's BPF back end says ``too many
  arguments``; a C error fails the two-step path the same way), or
* its DWARF declares a ``DW_AT_calling_convention`` (clang marks a function whose
  signature the optimiser changed ``DW_CC_nocall``; the lowering may rewrite such a
  function's BTF prototype, :mod:`toolchain.nocall`),

and then the IR step runs.  The driver compiles the C source itself whenever the
lowering leaves the IR alone (code generation from IR text numbers some BTF forward
declarations and merges some DWARF location pieces differently), so this run is a
shortcut only: the object is the same bytes with or without it (on by default,
``CompileOptions.one_step``; tests/toolchain/test_one_step.py).
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
from pathlib import Path

from .irtext import keyword_matches

# what the scan of a parenthesised list's items skips: strings, character constants and
# comments (a bracket or comma inside them does not count)
_SKIPPED = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|//[^\n]*|/\*.*?\*/', re.S)
_NOT_BRACKET = re.compile(r"[^()\[\]{},]+")
MAX_REG_ARGS = 5
DW_AT_calling_convention = 0x36
DW_FORM_implicit_const = 0x21


def source_may_need_lowering(text: str) -> bool:
    """Could the C text call or define a function with more than five arguments?

    True when some parenthesised list has six or more top-level items (a call, a
    prototype, a macro's parameters or arguments, a ``for`` header: anything of that
    shape counts).  A False answer can still be wrong (a header macro expanding to a
    wide call, 16-byte arguments); clang then refuses the one-step compile."""
    stack: list[int] = []            # per open bracket: commas so far, -1 for [ and {
    # strings, character constants and comments blanked, then only brackets and commas kept
    for t in _NOT_BRACKET.sub("", _SKIPPED.sub(" ", text)):
        if t == "(":
            stack.append(0)
        elif t in "[{":
            stack.append(-1)
        elif t == ",":
            if stack and stack[-1] >= 0:
                stack[-1] += 1
                if stack[-1] >= MAX_REG_ARGS:
                    return True
        elif stack:
            stack.pop()
    return False


# a static function kept out of line: the optimiser may drop its constant arguments (IPSCCP,
# dead-argument elimination) and clang then marks it DW_CC_nocall
# (``noinline))`` or ``__noinline``, then the function's name and its '('), two patterns that
# each start with a keyword (irtext.keyword_matches: the regex engine looks for its letters)
_NOINLINE_DEFS = tuple(re.compile(rf"{head}[^;{{}}=()]*?\b([A-Za-z_]\w*)\s*\(")
                       for head in (r"noinline\b\s*\)\s*\)", r"__noinline\b"))
_STATIC = re.compile(r"\bstatic\b")
_INT_LITERAL = re.compile(r"^[-+]?\s*(?:0[xX][0-9a-fA-F]+|\d+)[uUlL]*$")


def source_may_drop_arguments(text: str) -> bool:
    """Does the C text pass a ``static`` noinline function the same integer literal in one
    argument position at every call (and use its name nowhere else)?

    The optimiser then usually removes that parameter (IPSCCP) and clang marks the function
    ``DW_CC_nocall``: its object needs the IR step anyway (toolchain.nocall rewrites its BTF
    prototype), so the driver skips the one ``clang -c`` that would be thrown away.  Only a
    prediction: a False answer costs that run when the optimiser drops an unused argument."""
    code = _C_COMMENT.sub(" ", text)
    if "noinline" not in code:
        return False
    names = set()
    for pattern in _NOINLINE_DEFS:
        for m in keyword_matches(pattern, code):
            start = max(code.rfind(";", 0, m.start()), code.rfind("}", 0, m.start()),
                        code.rfind("\n#", 0, m.start()))
            if _STATIC.search(code, start + 1, m.end()):
                names.add(m.group(1))
    for name in sorted(names):
        calls = []
        for call in keyword_matches(re.compile(rf"{re.escape(name)}\s*\("), code):
            open_at = call.end() - 1
            depth, i, args, cur = 0, open_at, [], []
            while i < len(code):
                c = code[i]
                if c in "([{":
                    depth += 1
                    if depth == 1:
                        i += 1
                        continue
                elif c in ")]}":
                    depth -= 1
                    if depth == 0:
                        args.append("".join(cur))
                        break
                elif c == "," and depth == 1:
                    args.append("".join(cur))
                    cur = []
                    i += 1
                    continue
                cur.append(c)
                i += 1
            calls.append([a.strip() for a in args])
        # the definition's own parameter list is among them; IPSCCP needs every call site
        # to pass the same constant in one position
        calls = [c for c in calls if any(_INT_LITERAL.match(a) for a in c)]
        if calls and len(calls) >= 1:
            for k in range(min(len(c) for c in calls)):
                vals = {c[k] for c in calls}
                if len(vals) == 1 and _INT_LITERAL.match(next(iter(vals))):
                    uses = sum(1 for _ in keyword_matches(re.compile(rf"{re.escape(name)}\b"),
                                                          code))
                    if uses == len(calls) + 1:      # the definition, then only these calls
                        return True
    return False


_C_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


# user flags that act on the C step only, so one `clang -c` and the two steps (whose
# code generation step keeps only -m*, -g* and -mllvm, driver.codegen_flags) see the
# same: anything else (-f..., -O-like options of the back end) keeps the two steps
_FRONT_ONLY = ("-D", "-U", "-I", "-W", "-w", "-std=", "-idirafter", "-isystem", "-iquote",
               "-include", "-imacros", "-pedantic", "-m", "-g")
_TAKES_VALUE = ("-D", "-U", "-I", "-idirafter", "-isystem", "-iquote", "-include", "-imacros",
                "-mllvm")


def flags_allow_one_step(user_flags) -> bool:
    """Do the user's clang flags mean the same in one ``clang -c`` as in the two steps?"""
    it = iter(user_flags)
    for flag in it:
        if flag in _TAKES_VALUE:
            next(it, None)
        elif flag == "-g0" or not flag.startswith(_FRONT_ONLY):
            return False
    return True


def try_one_step(cmd: list[str], src: Path, out: Path, result) -> tuple[str, str]:
    """Run ``cmd`` (the ``clang -c`` of ``src`` to ``out``) when the source allows it.

    Returns (state, clang's stderr): ``"done"`` when ``out`` is the final object (``result``,
    a driver CompileResult, has the command and clang's warnings); ``"nocall"`` when ``out``
    was written but a ``DW_CC_nocall`` function leaves it to the IR (the lowering may
    rewrite that function's BTF prototype; if it does not, ``out`` is the object);
    ``"no"`` when nothing was written (not tried, or clang failed)."""
    try:
        text = src.read_text(errors="replace")
    except OSError:
        return "no", ""
    if source_may_need_lowering(text) or source_may_drop_arguments(text):
        return "no", ""
    result.commands.append(cmd)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                              timeout=600)
    except (subprocess.TimeoutExpired, OSError):
        proc = None
    if proc is not None and proc.returncode == 0:
        stderr = proc.stderr.strip()
        if _declares_calling_convention(out):
            return "nocall", stderr
        if stderr:
            result.warnings += stderr + "\n"
        return "done", stderr
    try:
        os.unlink(out)
    except OSError:
        pass
    return "no", ""


def _declares_calling_convention(path: Path) -> bool:
    """Does the object's ``.debug_abbrev`` use DW_AT_calling_convention?  (Also True
    when the file is no little-endian ELF64 or has no such section: then the two steps
    decide.)"""
    try:
        data = path.read_bytes()
    except OSError:
        return True
    abbrev = _section(data, b".debug_abbrev")
    if abbrev is None:
        return True
    return _abbrev_uses(abbrev, DW_AT_calling_convention)


def _section(data: bytes, name: bytes) -> bytes | None:
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if shoff + shnum * shentsize > len(data) or shstrndx >= shnum or shentsize < 64:
        return None

    def header(i: int) -> tuple[int, int, int]:
        name_off, = struct.unpack_from("<I", data, shoff + i * shentsize)
        off, size = struct.unpack_from("<QQ", data, shoff + i * shentsize + 0x18)
        return name_off, off, size

    _, str_off, str_size = header(shstrndx)
    strtab = data[str_off:str_off + str_size]
    for i in range(shnum):
        name_off, off, size = header(i)
        end = strtab.find(b"\0", name_off)
        if strtab[name_off:end] == name and off + size <= len(data):
            return data[off:off + size]
    return None


def _uleb(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated LEB128")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def _abbrev_uses(buf: bytes, attribute: int) -> bool:
    """Walk every abbreviation declaration (DWARF 5, 7.5.3): code, tag, children flag,
    (attribute, form[, implicit constant]) pairs up to (0, 0)."""
    pos = 0
    try:
        while pos < len(buf):
            code, pos = _uleb(buf, pos)
            if code == 0:
                continue             # end of one unit's table
            _tag, pos = _uleb(buf, pos)
            pos += 1                 # DW_CHILDREN_yes / no
            while True:
                attr, pos = _uleb(buf, pos)
                form, pos = _uleb(buf, pos)
                if attr == 0 and form == 0:
                    break
                if attr == attribute:
                    return True
                if form == DW_FORM_implicit_const:
                    _, pos = _uleb(buf, pos)     # its SLEB128 value: same byte layout
    except ValueError:
        return True
    return False
