"""Stack-argument lowering for compilers without native support (LLVM <= 22).

Input: the optimised LLVM IR that ``clang --target=bpf -S -emit-llvm -O<n>``
prints.  Output: IR in which no function definition, declaration or direct
call has more than five 64-bit argument pieces; pieces 6.. travel through BPF
register r11 exactly as an LLVM 23 compiler emits them (DESIGN §3):

* caller, before each call: ``*(u64 *)(r11 - 8k) = rX`` (or ``= imm`` under
  ``-mcpu=v4`` for a constant that fits a sign-extended imm32);
* callee, first thing in its entry block: ``rX = *(u64 *)(r11 + 8k)``.

Both are emitted as BPF inline asm, which LLVM 22's BPF assembler accepts.
The driver then runs *codegen only* on the result (no IR passes), so nothing
can inline a body that reads r11 into a caller or reorder the r11 accesses
across calls: the rewrite happens at the same point of the pipeline where
LLVM 23 lowers stack arguments (instruction selection, after all IR passes).

Argument pieces follow the BPF calling convention: every argument takes one
8-byte piece, 16-byte values (``i128``, ``[2 x i64]``) take two, low half
first, and may straddle r5 and slot 1.  Narrow integers are extended by the
caller per their ``signext``/``zeroext`` attribute (plain ``int`` is
zero-extended here, LLVM's any-extend leaving the upper half unspecified).

The optimiser may have changed a static function's signature before we see it
(dead-argument elimination, argument promotion); clang marks such a function's
DISubroutineType ``cc: DW_CC_nocall`` but keeps the source prototype, so the
BTF would disagree with what call sites pass.  LLVM 23 then describes the
*remaining* arguments in BTF (llvm/test/CodeGen/BPF/BTF/func-nocall-stack-arg.ll);
:mod:`toolchain.nocall` rewrites the debug info the same way, keeping
the object self-consistent for a BTF-driven verifier.

llvmlite (which links LLVM 22) parses the input and supplies the signatures of
functions whose ``define``/``declare`` line does not already show five or fewer
plain pieces, and verifies the output; the rewrite itself is textual because
llvmlite cannot edit parsed IR.  A module where nothing passes over five pieces
and only ``DW_CC_nocall`` prototypes change is edited without the parser
(:mod:`toolchain.nocall` reads those functions' ``define`` lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import CompileError
from .nocall import fix_nocall_prototypes
from .irtext import (arg_value, definition_starts, function_body, function_span, global_ref, matching_paren,
                     keyword_matches, may_pass_stack_args, name_numbered_values, param_text, split_top,
                     strip_uselists)

if TYPE_CHECKING:
    import llvmlite.binding as llvm

MAX_REG_PIECES = 5
MAX_STACK_SLOTS = 7
MAX_ARGS = 12


# --- signatures ------------------------------------------------------------
@dataclass
class Param:
    """One IR parameter and where its 64-bit pieces travel."""

    index: int
    type: str                      # IR type text, e.g. "i64", "[2 x i64]"
    attrs: list[str]
    locs: list[tuple[str, int]] = field(default_factory=list)  # ("reg", 1..5) / ("slot", 1..7)

    @property
    def in_regs(self) -> bool:
        return all(kind == "reg" for kind, _ in self.locs)

    @property
    def in_slots(self) -> bool:
        return all(kind == "slot" for kind, _ in self.locs)


@dataclass
class Signature:
    name: str
    params: list[Param]
    is_definition: bool
    naked: bool

    @property
    def slots(self) -> int:
        return sum(1 for p in self.params for kind, _ in p.locs if kind == "slot")


def _pieces(ty: str, fn: str, idx: int) -> int:
    if ty in ("i128", "[2 x i64]", "fp128"):
        return 2
    if re.fullmatch(r"i(1|8|16|32|64)|ptr|float|double|\[1 x i64\]", ty):
        return 1
    raise _fail(fn, f"argument {idx + 1} of IR type {ty} cannot be passed as a BPF stack argument")


def _signature(fn: llvm.ValueRef) -> Signature:
    fty = fn.global_value_type
    params = []
    for i, arg in enumerate(fn.arguments):
        attrs = [a.decode() if isinstance(a, bytes) else str(a) for a in arg.attributes]
        params.append(Param(i, str(arg.type), attrs))
    fn_attrs = " ".join(a.decode() if isinstance(a, bytes) else str(a) for a in fn.attributes)
    sig = Signature(fn.name, params, not fn.is_declaration, bool(re.search(r"\bnaked\b", fn_attrs)))
    piece = 0
    for p in params:
        for _ in range(_pieces(p.type, fn.name, p.index)):
            piece += 1
            p.locs.append(("reg", piece) if piece <= MAX_REG_PIECES else ("slot", piece - MAX_REG_PIECES))
    if fty.is_function_vararg and sig.is_definition:
        # LLVM's BPF backend rejects these too; say so before codegen, naming the function
        raise _fail(fn.name, "variadic functions are not supported")
    if piece > MAX_REG_PIECES:
        for p in params:
            if any(a.startswith(("byval", "byref", "inalloca", "preallocated")) for a in p.attrs):
                raise _fail(fn.name, f"argument {p.index + 1} is an aggregate passed by value "
                                     f"(over 16 bytes); pass it by pointer")
        if len(params) > MAX_ARGS or sig.slots > MAX_STACK_SLOTS:
            raise _fail(fn.name, f"{len(params)} arguments need {sig.slots} stack slots; "
                                 f"BPF allows at most {MAX_ARGS} arguments in {MAX_STACK_SLOTS} slots")
    return sig


# --- the rewrite --------------------------------------------------------------
class _Fresh:
    def __init__(self, prefix: str):
        self.prefix, self.n = prefix, 0

    def __call__(self, hint: str = "") -> str:
        self.n += 1
        return f"%{self.prefix}{hint}.{self.n}"


def _to_pieces(ty: str, attrs: list[str], value: str, fresh: _Fresh, out: list[str],
               scope: str = "") -> list[str]:
    """Emit IR turning ``value`` of type ``ty`` into i64 piece operands (values or constants).

    ``scope`` is the calling function's text, used to see through a ``trunc``.
    """
    if ty == "i64":
        return [value]
    m = re.fullmatch(r"i(\d+)", ty)
    if m and int(m.group(1)) < 64:
        bits = int(m.group(1))
        if re.fullmatch(r"-?\d+|true|false", value):
            n = {"true": 1, "false": 0}[value] if value in ("true", "false") else int(value)
            if "signext" in attrs:
                n = n - (1 << bits) if n >= 1 << (bits - 1) else n
            else:  # zeroext, or LLVM's any-extend, which folds a constant as zero-extension
                n &= (1 << bits) - 1
            return [str(n)]
        if "signext" not in attrs and "zeroext" not in attrs:
            # Any-extend: the upper half is unspecified, so a value truncated from an i64
            # travels as that i64, with no extension instructions (as ISel's ANY_EXTEND).
            t = re.search(rf"^\s*{re.escape(value)} = trunc (?:nuw |nsw )*i64 (%[-\w$.]+) to {ty}\b",
                          scope, re.M)
            if t:
                return [t.group(1)]
        ext = "sext" if "signext" in attrs else "zext"
        v = fresh("ext")
        out.append(f"{v} = {ext} {ty} {value} to i64")
        return [v]
    if ty == "ptr":
        v = fresh("p2i")
        out.append(f"{v} = ptrtoint ptr {value} to i64")
        return [v]
    if ty == "double":
        v = fresh("f2i")
        out.append(f"{v} = bitcast double {value} to i64")
        return [v]
    if ty == "float":
        v, w = fresh("f2i"), fresh("f2i")
        out += [f"{v} = bitcast float {value} to i32", f"{w} = zext i32 {v} to i64"]
        return [w]
    if ty == "[1 x i64]":
        v = fresh("ev")
        out.append(f"{v} = extractvalue [1 x i64] {value}, 0")
        return [v]
    if ty == "[2 x i64]":
        lo, hi = fresh("ev"), fresh("ev")
        out += [f"{lo} = extractvalue [2 x i64] {value}, 0", f"{hi} = extractvalue [2 x i64] {value}, 1"]
        return [lo, hi]
    if ty in ("i128", "fp128"):
        src = value
        if ty == "fp128":
            src = fresh("f2i")
            out.append(f"{src} = bitcast fp128 {value} to i128")
        lo, sh, hi = fresh("lo"), fresh("sh"), fresh("hi")
        out += [f"{lo} = trunc i128 {src} to i64", f"{sh} = lshr i128 {src}, 64",
                f"{hi} = trunc i128 {sh} to i64"]
        return [lo, hi]
    raise CompileError(f"cannot pass IR type {ty} as a stack argument")


def _from_pieces(ty: str, pieces: list[str], name: str, fresh: _Fresh, out: list[str]) -> None:
    """Emit IR defining ``name`` of type ``ty`` from i64 piece values (inverse of _to_pieces)."""
    if ty == "i64":
        out.append(f"{name} = add i64 {pieces[0]}, 0")
    elif re.fullmatch(r"i\d+", ty) and ty != "i128":
        out.append(f"{name} = trunc i64 {pieces[0]} to {ty}")
    elif ty == "ptr":
        out.append(f"{name} = inttoptr i64 {pieces[0]} to ptr")
    elif ty == "double":
        out.append(f"{name} = bitcast i64 {pieces[0]} to double")
    elif ty == "float":
        t = fresh("i2f")
        out += [f"{t} = trunc i64 {pieces[0]} to i32", f"{name} = bitcast i32 {t} to float"]
    elif ty == "[1 x i64]":
        out.append(f"{name} = insertvalue [1 x i64] poison, i64 {pieces[0]}, 0")
    elif ty == "[2 x i64]":
        t = fresh("iv")
        out += [f"{t} = insertvalue [2 x i64] poison, i64 {pieces[0]}, 0",
                f"{name} = insertvalue [2 x i64] {t}, i64 {pieces[1]}, 1"]
    else:  # i128 / fp128
        lo, hi, sh = fresh("lo"), fresh("hi"), fresh("sh")
        target = name if ty == "i128" else fresh("i128")
        out += [f"{lo} = zext i64 {pieces[0]} to i128", f"{hi} = zext i64 {pieces[1]} to i128",
                f"{sh} = shl i128 {hi}, 64", f"{target} = or i128 {lo}, {sh}"]
        if ty == "fp128":
            out.append(f"{name} = bitcast i128 {target} to fp128")


def _store_slot(slot: int, piece: str, imm_ok: bool) -> str:
    off = 8 * slot
    if imm_ok and re.fullmatch(r"-?\d+", piece) and -(1 << 31) <= int(piece) < (1 << 31):
        return f'call void asm sideeffect "*(u64 *)(r11 - {off}) = {int(piece)}", ""()'
    if re.fullmatch(r"-?\d+", piece):
        piece = str(int(piece) & ((1 << 64) - 1) if int(piece) >= 0 else int(piece))
    return f'call void asm sideeffect "*(u64 *)(r11 - {off}) = $0", "r"(i64 {piece})'


def _load_slot(slot: int, name: str) -> str:
    return f'{name} = call i64 asm sideeffect "$0 = *(u64 *)(r11 + {8 * slot})", "=r"()'


def _new_param_list(sig: Signature, header_params: list[str]) -> list[str]:
    """Header parameters that stay in registers; a straddling 16-byte one becomes an i64."""
    kept = []
    for p, text in zip(sig.params, header_params):
        if p.in_regs:
            kept.append(text)
        elif not p.in_slots:  # straddles r5 and slot 1: only the low half stays
            _, name = param_text(text)
            kept.append("i64 noundef" + (f" {name}.lo" if name else ""))
    return kept


def _rewrite_definition(text: str, sig: Signature) -> str:
    """Rewrite one function definition so its arguments 6.. come from r11."""
    start, open_at, close_at = function_span(text, sig.name)
    body_start, body_end = function_body(text, close_at)
    header_params = split_top(text[open_at + 1:close_at])
    header = text[start:open_at + 1] + ", ".join(_new_param_list(sig, header_params)) + \
        text[close_at:body_start]
    header = name_numbered_values(header)
    header_params = [name_numbered_values(h) for h in header_params]
    fresh = _Fresh("sa.in")
    entry: list[str] = []
    for p, ptext in zip(sig.params, header_params):
        if p.in_regs:
            continue
        _, name = param_text(ptext)
        name = name or fresh("unused")
        pieces = []
        for kind, n in p.locs:
            if kind == "reg":
                pieces.append(f"{name}.lo")
            else:
                v = fresh("slot")
                entry.append(_load_slot(n, v))
                pieces.append(v)
        # loads first (they must precede any call or r11 store), conversions after
        _from_pieces(p.type, pieces, name, fresh, entry)
    loads = [e for e in entry if "asm sideeffect" in e]
    rest = [e for e in entry if "asm sideeffect" not in e]
    body = text[body_start:body_end]
    entry_label = ""
    if not re.match(r"\s*(?:[-\w$.]+|\"[^\"]*\"):", body):
        # The entry block is unnamed: it implicitly takes the number after the numbered
        # parameters, and phis elsewhere may name it.  Renaming must give it that label.
        numbered = sum(1 for h in split_top(text[open_at + 1:close_at])
                       if re.fullmatch(r"%\d+", param_text(h)[1] or ""))
        entry_label = f"_{numbered}:\n"
    body = name_numbered_values(body)
    new = header + entry_label + "".join(f"  {e}\n" for e in loads + rest) + body
    return text[:start] + new + text[body_end:]


def _rewrite_declaration(text: str, sig: Signature) -> str:
    _, open_at, close_at = function_span(text, sig.name, "declare")
    params = split_top(text[open_at + 1:close_at])
    return text[:open_at + 1] + ", ".join(_new_param_list(sig, params)) + text[close_at:]


def _rewrite_calls(text: str, sigs: list[Signature], imm_ok: bool) -> str:
    """Rewrite every direct call of the ``sigs`` in one pass over the text: slot pieces are
    stored through r11 just before each call.  Fresh value names number the calls of
    the first signature first (in text order), then the second's, and so on."""
    if not sigs:
        return text
    by_ref = {global_ref(sig.name): sig for sig in sigs}
    alternatives = "|".join(re.escape(r) for r in sorted(by_ref, key=len, reverse=True))
    sites = [(m, by_ref[m.group(1)])
             for m in keyword_matches(re.compile(r"call\b[^\n]*?(" + alternatives + r")\("), text)]
    numbers: dict[int, int] = {}          # match start -> its call number
    n = 0
    for sig in sigs:
        for m, s in sites:
            if s is sig:
                n += 1
                numbers[m.start()] = n
    pos = 0
    out = []
    for m, sig in sites:
        if m.start() < pos:
            continue                      # inside the previous call's argument list
        line_start = text.rfind("\n", 0, m.start()) + 1
        indent = re.match(r"\s*", text[line_start:]).group(0)
        open_at = m.end() - 1
        close_at = matching_paren(text, open_at)
        args = split_top(text[open_at + 1:close_at])
        if len(args) != len(sig.params):
            raise CompileError(f"call to {sig.name} passes {len(args)} arguments, "
                               f"its definition takes {len(sig.params)}")
        fresh = _Fresh(f"sa.out{numbers[m.start()]}")
        # the calling function's text up to this call (its values are defined before use)
        scope = text[text.rfind("\ndefine ", 0, line_start) + 1:line_start]
        pre: list[str] = []
        kept, stores = [], []
        for p, a in zip(sig.params, args):
            if p.in_regs:
                kept.append(a)
                continue
            pieces = _to_pieces(p.type, p.attrs, arg_value(a, p.type), fresh, pre, scope)
            for (kind, k), piece in zip(p.locs, pieces):
                if kind == "reg":  # low half of a 16-byte value straddling r5
                    kept.append(f"i64 noundef {piece}")
                else:
                    stores.append(_store_slot(k, piece, imm_ok))
        pre += stores  # stores last: nothing may come between them and the call
        out.append(text[pos:line_start])
        out.append("".join(f"{indent}{x}\n" for x in pre))
        out.append(text[line_start:open_at + 1] + ", ".join(kept))
        pos = close_at
    out.append(text[pos:])
    return "".join(out)


_PLAIN_PARAM = re.compile(r"(?:i(?:1|8|16|32|64)|ptr|float|double|\[1 x i64\]|i128|\[2 x i64\]|fp128)"
                          r"(?= |$)(?! addrspace)")
_DECL_LINE = re.compile(r'\n(define|declare)\b[^\n]*?@(?:"([^"]*)"|([-\w$.]+))\(')


def _small_in_text(text: str) -> set[str]:
    """Functions whose define/declare line shows at most five pieces of types ``_pieces``
    knows and no ``...``: their :func:`_signature` keeps every piece in a register and
    raises nothing, so it need not be asked (its llvmlite calls cost ~0.2 ms a function).
    A name seen on two lines, or quoted, is left to the parser."""
    small: dict[str, bool] = {}
    for m in _DECL_LINE.finditer("\n" + text):
        if m.group(2) is not None:
            continue
        name = m.group(3)
        open_at = m.end() - 2
        ok = name not in small
        if ok:
            params = split_top(text[open_at + 1:matching_paren(text, open_at)])
            pieces = 0
            for param in params:
                t = _PLAIN_PARAM.match(param)
                if t is None:
                    ok = False
                    break
                pieces += 2 if t.group() in ("i128", "[2 x i64]", "fp128") else 1
            ok = ok and pieces <= MAX_REG_PIECES
        small[name] = ok
    return {name for name, ok in small.items() if ok}


# --- entry point ----------------------------------------------------------------
def parse_ir(ir_text: str, what: str = "IR", verify: bool = True) -> llvm.ModuleRef:
    # imported here: loading llvmlite costs ~0.2 s per process, and a module whose only
    # change is a nocall prototype never needs the parser (see lower_module)
    import llvmlite.binding as llvm

    try:
        mod = llvm.parse_assembly(ir_text)
        if verify:
            mod.verify()
    except RuntimeError as exc:
        raise CompileError(f"invalid {what}: {str(exc).strip().splitlines()[0]}") from None
    return mod


def lower_module(ir_text: str, *, mcpu: str = "v3", opt_level: str = "2") -> str:
    """Rewrite ``ir_text`` so no call crosses the five-register limit (see module docs)."""
    del opt_level  # -O0 and optimised IR are rewritten the same way
    stack_args = may_pass_stack_args(ir_text)
    if not stack_args and "DW_CC_nocall" not in ir_text:
        return ir_text
    ir_text = strip_uselists(ir_text)
    if not stack_args:
        # no signature or call passes over five pieces: at most the debug prototypes of
        # nocall functions change, read from the text without the IR parser (clang's
        # parse of the result is the check: it fails on bad syntax, and the driver
        # refuses an object whose debug info clang had to drop)
        return fix_nocall_prototypes(ir_text, None)
    # clang produced the input: parse it for the signatures, verify only our output
    module = parse_ir(ir_text, "input IR", verify=False)
    # the fix-up touches debug metadata only, so ``module``'s signatures stay valid
    text = fix_nocall_prototypes(ir_text, module)
    try:
        # the parser's view of a signature is asked for only where the text does not
        # already show five or fewer pieces of plain types (see _small_in_text)
        small = _small_in_text(text)
        sigs = [s for s in (_signature(f) for f in module.functions
                            if f.name not in small and not f.name.startswith("llvm."))
                if s.slots or any(not p.in_regs for p in s.params)]
        _check_indirect_calls(text)
    except CompileError as err:
        err.location = err.location or _source_location(text, getattr(err, "function", None))
        if err.location:
            err.message = f"{err.location}: {err.message}"
        raise
    for sig in sigs:
        if sig.is_definition and not sig.naked:
            text = _rewrite_definition(text, sig)
        elif not sig.is_definition:
            text = _rewrite_declaration(text, sig)
    text = _rewrite_calls(text, sigs, mcpu == "v4")
    if text != ir_text:
        parse_ir(text, "lowered IR (internal error in the stack-argument lowering)")
    return text


def _fail(fn_name: str, message: str) -> CompileError:
    err = CompileError(f"function {fn_name}: {message}")
    err.function = fn_name
    return err


def _source_location(text: str, fn_name: str | None) -> str | None:
    """``file:line`` of a function's DISubprogram, for error messages."""
    if not fn_name:
        return None
    m = re.search(r'^!\d+ = distinct !DISubprogram\(name: "' + re.escape(fn_name) + r'",[^\n]*?file: !(\d+), line: (\d+)',
                  text, re.M)
    if not m:
        return None
    f = re.search(r"^!" + m.group(1) + r' = !DIFile\(filename: "([^"]*)", directory: "([^"]*)"', text, re.M)
    if not f:
        return f"?:{m.group(2)}"
    name = f.group(1) if f.group(1).startswith("/") else f"{f.group(2).rstrip('/')}/{f.group(1)}"
    return f"{name}:{m.group(2)}"


_INDIRECT_CALL = re.compile(r"call\b[^\n@]*?\s(%[-\w$.]+)\(")     # see keyword_matches


def _check_indirect_calls(text: str) -> None:
    """Stack arguments need a direct call: the callee's BTF prototype says how many slots it reads."""
    for m in keyword_matches(_INDIRECT_CALL, text):
        open_at = m.end() - 1
        args = split_top(text[open_at + 1:matching_paren(text, open_at)])
        if len(args) > MAX_REG_PIECES:
            fn = list(definition_starts(text[:m.start()]))[-1:] or ["?"]
            raise _fail(fn[0], f"indirect call with {len(args)} arguments; "
                               f"more than five arguments need a direct call")
