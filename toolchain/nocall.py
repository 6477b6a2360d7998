"""BTF prototypes for functions whose signature the optimiser changed.

Dead-argument elimination (and IPSCCP feeding it) may drop parameters or the
return value of a static function.  clang then marks the DISubroutineType
``cc: DW_CC_nocall`` but keeps the *source* types, and LLVM 22's BTF repeats
the source prototype: its FUNC_PROTO no longer says what call sites pass,
which a BTF-driven verifier counting stack arguments rejects.

LLVM 23 (the stack-argument compiler we emulate) describes the surviving
arguments instead.  Its behaviour, as pinned by the LLVM tests
``llvm/test/CodeGen/BPF/BTF/func-nocall-*.ll``:

* each surviving IR argument is named by the variable whose *first* debug
  record (``#dbg_value`` / ``#dbg_assign``) uses it; later re-assignments do
  not count, and a dead source argument (poison, constant) is dropped;
* the return type becomes void when the IR function returns void;
* a struct passed by value travels as ``i64`` / ``[2 x i64]``; its fragment
  debug records name the pieces (``extractvalue``/``lshr``/``trunc`` of the
  argument), which are traced back to the argument;
* when a surviving argument's IR type no longer matches its source type
  (e.g. a pointer turned into ``i64``), the source prototype is kept.

This module rewrites the debug metadata so LLVM 22 emits that same BTF.  One
deliberate deviation: when keeping the source prototype would leave the
object inconsistent about *stack* arguments (source or IR above five 64-bit
pieces and the piece counts differ), the IR signature is described with
synthesised names (a two-piece argument as a 16-byte ``__int128``),
because a self-consistent object is the toolchain's contract (DESIGN §4).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import llvmlite.binding as llvm

from .irtext import (definitions, function_body, matching_paren, metadata_table, param_text,
                     replace_metadata, split_top)

MAX_REG_ARGS = 5

_DEBUG_RECORD = re.compile(
    r"(?:#dbg_(?:value|assign)\(|@llvm\.dbg\.(?:value|assign)\(metadata )"
    r"[^,%]*?\s?(%[-\w.$]+|\w+), (?:metadata )?!(\d+), (?:metadata )?(!DIExpression\([^)]*\))?")
# value-preserving steps from an aggregate argument to the scalar pieces its
# fragment debug records name: "%8 = extractvalue [2 x i64] %1, 0", "%6 = lshr i64 %0, 32",
# "%5 = trunc i64 %0 to i32"
_PIECE_STEP = re.compile(
    r"^\s*(%[-\w.$]+) = (?:extractvalue|trunc|lshr|zext|and|bitcast|freeze)\b(?: nuw| nsw| exact)*"
    r" [^%]*?(%[-\w.$]+)", re.M)


def fix_nocall_prototypes(text: str, module: llvm.ModuleRef | None = None) -> str:
    """Return ``text`` with nocall functions' debug prototypes describing their IR signature.

    Only definitions whose ``DISubprogram`` has a ``DW_CC_nocall`` type are looked at.  Their
    IR signatures come from the ``define`` lines; ``module`` (the parsed ``text``, or None: it
    is parsed here when needed) answers only for a parameter type the text reading does not
    know (see :func:`_header_signature`)."""
    if "DW_CC_nocall" not in text:
        return text
    table = metadata_table(text)
    md = _Nodes(table[1])
    # in one pass: the nocall subroutine types, and the argument variables grouped by their
    # DISubprogram (built once, not per function)
    nocall_types: set[str] = set()
    arg_vars_of: dict[int, dict[int, str]] = {}
    for nid, node in md.items():
        if node.startswith("!DILocalVariable("):
            if "arg: " in node and _field(node, "arg"):
                scope = _field(node, "scope")
                if scope and scope.startswith("!"):
                    arg_vars_of.setdefault(int(scope[1:]), {})[nid] = node
        elif node.startswith("!DISubroutineType(") and "DW_CC_nocall" in node:
            nocall_types.add(f"!{nid}")
    if not nocall_types:
        return text
    alloc = _Allocator(max(md, default=0) + 1)
    replacements: dict[int, str] = {}
    parsed: list = [module]
    for name, at, open_at in definitions(text):     # in text order, as the IR parser makes them
        # the function's own !dbg attachment is the last one on its define line (attributes,
        # section and attachments follow the parameter list)
        header_end = text.find("\n", open_at)
        dbg = text.rfind(" !dbg !", open_at, header_end)
        if dbg < 0:
            continue
        digits = _DIGITS.match(text, dbg + 7)
        if digits is None:
            continue
        sp_id = int(digits.group())
        if md.field(md.get(sp_id, ""), "type") not in nocall_types:
            continue
        close_at = matching_paren(text, open_at)
        if close_at > dbg:
            continue                    # not the function's attachment after all
        params = split_top(text[open_at + 1:close_at])
        sig = _header_signature(text, at, params)
        if sig is None:                 # a parameter type the text reading does not know
            if parsed[0] is None:
                from .lower import parse_ir
                parsed[0] = parse_ir(text, "input IR", verify=False)
            fn = parsed[0].get_function(name)
            sig = ([str(a.type) for a in fn.arguments],
                   str(fn.global_value_type.get_function_return()) == "void")
        replacements.update(_describe(text, md, sig, params, sp_id, close_at, alloc,
                                      arg_vars_of.get(sp_id, {})))
    if not replacements:
        return text
    return replace_metadata(text, replacements, alloc.nodes, table)


_DIGITS = re.compile(r"\d+")
# IR parameter types read from a define line: what llvmlite prints for them (str(arg.type))
_SIMPLE_TYPE = re.compile(r"(?:i\d+|ptr|half|bfloat|float|double|fp128|\[\d+ x i\d+\])(?= |$)")


def _header_signature(text: str, at: int, params: list[str]) -> tuple[list[str], bool] | None:
    """(parameter IR types, returns void) of the definition whose name starts at ``at`` and
    whose parameter list is ``params`` (split_top), read from its ``define`` line; None when a
    parameter's type is not one of the plain first-class types (integers, ``ptr`` in address
    space 0, floating point, arrays of integers) or the list is variadic: the caller then
    asks the IR parser."""
    types = []
    for param in params:
        m = _SIMPLE_TYPE.match(param)
        if m is None or param.startswith("ptr addrspace"):
            return None
        types.append(m.group())
    head = text[text.rfind("\n", 0, at) + 1:at]
    return types, head.endswith(" void ")


class _Allocator:
    """Hands out fresh metadata numbers and collects the new nodes."""

    def __init__(self, first: int):
        self.next, self.nodes = first, []

    def add(self, body: str) -> str:
        nid = self.next
        self.next += 1
        self.nodes.append(f"!{nid} = {body}")
        return f"!{nid}"


def _field(node: str, name: str) -> str | None:
    """The value of field ``name`` in the metadata node ``node`` (the first ``name: `` that
    starts a word: what a leading ``\\b`` checks, spelled so that the regex engine searches
    for the field's letters instead of trying every position; see irtext.keyword_matches)."""
    pattern = _FIELDS.get(name)
    if pattern is None:
        pattern = _FIELDS[name] = re.compile(rf"{name}: (!\d+|null|\d+|\"[^\"]*\")")
    pos = 0
    while (m := pattern.search(node, pos)) is not None:
        at = m.start()
        if at and (node[at - 1].isalnum() or node[at - 1] == "_"):
            pos = at + 1                # the field name ends a longer word
            continue
        return m.group(1)
    return None


_FIELDS: dict[str, re.Pattern] = {}


def _ref(md: dict[int, str], ref: str | None) -> str:
    return md.get(int(ref[1:]), "") if ref and ref.startswith("!") else ""


def _describe(text, md, sig, params, sp_id, close_at, alloc, arg_vars) -> dict[int, str]:
    sp = md.get(sp_id, "")
    sty = _ref(md, md.field(sp, "type"))
    if "DW_CC_nocall" not in sty:
        return {}
    src_types = md.source_types(sty)
    src_ret, src_params = (src_types[0] if src_types else "null"), src_types[1:]
    ir_args, ir_ret_void = sig                   # IR parameter types, returns void
    if len(ir_args) == len(src_params) and not (ir_ret_void and src_ret != "null"):
        return {}  # nothing was removed

    names = [param_text(p)[1] for p in params]
    first_use: dict[str, int] = {}
    # only the parameters' first uses matter: the walk stops once each has one
    wanted = len({n for n in names if n})
    records = ()
    if wanted:
        body_start, body_end = function_body(text, close_at)
        records = _DEBUG_RECORD.finditer(text, body_start, body_end)
    seen_vars: set[int] = set()
    derived = None      # argument pieces, traced only when a fragment record needs them
    for m in records:
        value, var = m.group(1), int(m.group(2))
        if value in ("poison", "undef"):
            continue  # binds nothing (a dead argument, or an alloca's placeholder assignment)
        if var in seen_vars:
            continue  # only a variable's first record gives its entry location
        seen_vars.add(var)
        if "DW_OP_LLVM_fragment" in (m.group(3) or "") and var in arg_vars \
                and _is_aggregate(md.field(arg_vars[var], "type"), md):
            # a by-value struct coerced to i64 / [2 x i64]: its records name the
            # pieces (extractvalue, lshr, trunc of the argument), not the argument
            if derived is None:
                derived = _derived_from(text[body_start:body_end], {n for n in names if n})
            value = derived.get(value, value)
        if value.startswith("%") and value not in first_use and var in arg_vars:
            first_use[value] = var
            if value in names:
                wanted -= 1
                if not wanted:
                    break
    mapped = [first_use.get(n) if n else None for n in names]
    consistent = None not in mapped
    if consistent:
        var_types = [md.field(arg_vars[v], "type") for v in mapped]
        consistent = all(md.types_match(a, t) for a, t in zip(ir_args, var_types))
    ir_pieces = sum(_ir_pieces(a) for a in ir_args)
    if consistent:
        btf_pieces = sum(md.di_pieces(t) for t in var_types)
        # a prototype that would count other stack slots than the IR passes is never kept
        consistent = btf_pieces == ir_pieces or max(btf_pieces, ir_pieces) <= MAX_REG_ARGS
    ret = "null" if ir_ret_void else src_ret
    repl: dict[int, str] = {}
    if consistent:
        param_types = [t or "null" for t in var_types]
        for i, v in enumerate(mapped):
            repl[v] = _word_sub(_ARG, f"arg: {i + 1}", arg_vars[v])
    elif max(ir_pieces, sum(_di_pieces(t, md) for t in src_params)) > MAX_REG_ARGS:
        # deviation from LLVM 23, see the module docstring: describe the IR signature
        # (piece counts, not parameter counts: a 9..16-byte struct takes two)
        param_types, mapped = [], []
        extra = []
        for i, a in enumerate(ir_args):
            ty = alloc.add(_di_type_for_ir(a))
            extra.append(alloc.add(f'!DILocalVariable(name: "arg{i + 1}", arg: {i + 1}, '
                                   f'scope: !{sp_id}, type: {ty})'))
            param_types.append(ty)
        old_nodes = re.findall(r"!\d+", _ref(md, md.field(sp, "retainedNodes")))
        retained = alloc.add("!{" + ", ".join(old_nodes + extra) + "}")
        sp = re.sub(r"retainedNodes: !\d+", f"retainedNodes: {retained}", sp) if "retainedNodes:" in sp \
            else sp[:sp.rindex(")")] + f", retainedNodes: {retained})"
    else:
        return {}  # LLVM 23 keeps the source prototype
    for vid, node in arg_vars.items():
        if vid not in repl:  # arguments that no longer exist are plain locals now
            repl[vid] = _word_sub(_ARG_FIELD, "", node)
    types = alloc.add("!{" + ", ".join([ret] + param_types) + "}")
    new_sty = alloc.add(f"!DISubroutineType(cc: DW_CC_nocall, types: {types})")
    repl[sp_id] = _word_sub(_TYPE_FIELD, f"type: {new_sty}", sp, count=1)
    return repl


_QUALIFIED = re.compile(
    r"!DIDerivedType\(tag: DW_TAG_(typedef|const_type|volatile_type|restrict_type|atomic_type)")
_SIZE = re.compile(r"\bsize: (\d+)")
_INT_TYPE = re.compile(r"i\d+")
_REFS = re.compile(r"null|!\d+")
# field patterns used with _word_sub: each matches where it starts a word
_ARG = re.compile(r"arg: \d+")
_ARG_FIELD = re.compile(r"arg: \d+, ")
_TYPE_FIELD = re.compile(r"type: !\d+")


def _word_sub(pattern: re.Pattern, repl: str, text: str, count: int = 0) -> str:
    """``re.sub`` of ``\\b`` + ``pattern`` (which starts with a letter): matches that end a
    longer word are left alone (see _field)."""
    done = 0

    def one(m: re.Match) -> str:
        nonlocal done
        at = m.start()
        if (count and done >= count) or (at and (text[at - 1].isalnum() or text[at - 1] == "_")):
            return m.group()
        done += 1
        return repl
    return pattern.sub(one, text)


class _Nodes(dict):
    """Numbered metadata bodies, with the type behind each reference found once and each
    field read once (for one module: nothing is kept from one build to the next)."""

    def __init__(self, nodes: dict[int, str]):
        super().__init__(nodes)
        self.stripped: dict[str | None, str] = {}
        self.fields: dict[tuple[str, str], str | None] = {}
        self.answers: dict[tuple, object] = {}     # see source_types, types_match, di_pieces

    def field(self, node: str, name: str) -> str | None:
        key = (node, name)
        try:
            return self.fields[key]
        except KeyError:
            value = self.fields[key] = _field(node, name)
            return value

    # many functions share a subroutine type and parameter types: each answered once
    def source_types(self, subroutine_type: str) -> list[str]:
        """Return type then parameter types of a ``DISubroutineType`` node."""
        key = ("types", subroutine_type)
        value = self.answers.get(key)
        if value is None:
            value = self.answers[key] = _REFS.findall(_ref(self, self.field(subroutine_type, "types")))
        return value

    def types_match(self, ir_type: str, di_ref: str | None) -> bool:
        key = ("match", ir_type, di_ref)
        value = self.answers.get(key)
        if value is None:
            value = self.answers[key] = _types_match(ir_type, di_ref, self)
        return value

    def di_pieces(self, di_ref: str | None) -> int:
        key = ("pieces", di_ref)
        value = self.answers.get(key)
        if value is None:
            value = self.answers[key] = _di_pieces(di_ref, self)
        return value


def _strip_type(ref: str | None, md: dict[int, str]) -> str:
    """The DI node behind typedefs and cv-qualifiers."""
    cache = getattr(md, "stripped", None)
    if cache is None:
        return _strip(ref, md)
    node = cache.get(ref)
    if node is None:
        node = cache[ref] = _strip(ref, md)
    return node


def _strip(ref: str | None, md: dict[int, str]) -> str:
    for _ in range(32):
        node = _ref(md, ref)
        if _QUALIFIED.match(node):
            ref = _field(node, "baseType")
            continue
        return node
    return ""


def _derived_from(body: str, args: set[str]) -> dict[str, str]:
    """Values computed from an argument by value-preserving steps -> that argument."""
    root: dict[str, str] = {a: a for a in args}
    for m in _PIECE_STEP.finditer(body):
        if m.group(2) in root:
            root[m.group(1)] = root[m.group(2)]
    return root


def _is_aggregate(di_ref: str | None, md: dict[int, str]) -> bool:
    node = _strip_type(di_ref, md)
    return "DW_TAG_structure_type" in node or "DW_TAG_union_type" in node


def _size_bits(node: str) -> int:
    m = _SIZE.search(node)
    return int(m.group(1)) if m else 0


def _ir_pieces(ty: str) -> int:
    """64-bit argument pieces of an IR type (the lowering's count)."""
    return 2 if ty in ("i128", "[2 x i64]", "fp128") else 1


def _di_pieces(di_ref: str | None, md: dict[int, str]) -> int:
    """64-bit argument pieces of a source type (the BTF-side count): 9..16 bytes take two."""
    node = _strip_type(di_ref, md)
    return 2 if 64 < _size_bits(node) <= 128 else 1


def _types_match(ir_type: str, di_ref: str | None, md: dict[int, str]) -> bool:
    node = _strip_type(di_ref, md)
    if node.startswith("!DIDerivedType(tag: DW_TAG_pointer_type"):
        return ir_type == "ptr"
    if node.startswith("!DIBasicType(") and "DW_ATE_float" in node:
        return ir_type in ("float", "double", "fp128")
    if node.startswith("!DIBasicType(") or "DW_TAG_enumeration_type" in node:
        return _INT_TYPE.fullmatch(ir_type) is not None
    if "DW_TAG_structure_type" in node or "DW_TAG_union_type" in node:
        if _size_bits(node) > 64:
            return ir_type in ("[2 x i64]", "i128")
        return ir_type in ("i64", "i32", "i16", "i8", "[1 x i64]")
    return False


def _di_type_for_ir(ty: str) -> str:
    if ty == "ptr":
        return "!DIDerivedType(tag: DW_TAG_pointer_type, baseType: null, size: 64)"
    m = re.fullmatch(r"i(\d+)", ty)
    bits = int(m.group(1)) if m else 128 if _ir_pieces(ty) == 2 else 64
    name = {1: "_Bool", 8: "char", 16: "short", 32: "int", 64: "long", 128: "__int128"}.get(bits, "long")
    enc = "DW_ATE_boolean" if bits == 1 else "DW_ATE_signed"
    return f'!DIBasicType(name: "{name}", size: {max(bits, 8)}, encoding: {enc})'
