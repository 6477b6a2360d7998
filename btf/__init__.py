"""BTF: parse .BTF/.BTF.ext, navigate the type graph, dump like bpftool, model functions.

Entry points:

- :func:`load` / :func:`load_bytes` — an ELF object or raw blob -> :class:`BtfObject`
  (``.btf`` a :class:`Btf`, ``.ext`` a :class:`BtfExt` or None);
- :func:`parse_btf` / :func:`parse_btf_ext` — section bytes -> objects;
- :func:`dump_raw`, :func:`dump_c`, :func:`dump_json` — bpftool-compatible output;
- :mod:`btf.funcs` — subprogram argument info (btf_prepare_func_args);
- :mod:`btf.kfuncs` — kfunc models (btf_distill_func_proto) and argument classes;
- :mod:`btf.kernel` — kernel-side BTF and ``.ksyms`` extern resolution;
- :mod:`btf.annotations` — selftest ``comment:`` decl-tag annotations (``pipeline test``);
- :mod:`btf.fixup` — the selftests' ``__btf_func_path`` parameter-name fix-up.

Navigation lives on :class:`Btf`: ``find``/``find_one``, ``resolve``,
``skip_modifiers``, ``size_of``, ``align_of``, ``find_member`` (through
anonymous members), ``member_at`` (by byte offset), ``func_proto``,
``decl_tags``.

Everything wrong with the input raises :class:`BtfError`.
"""

from . import layout as kinds
from .errors import BtfError
from .ext import BtfExt, CoreRelo, FuncInfo, LineInfo, parse_btf_ext
from .graph import Btf, DeclTag, FieldAccess, MemberPath
from .parse import parse_btf
from .source import BtfObject, load, load_bytes
from .types import EnumValue, Member, Param, Type, VarSecinfo

__all__ = ["BtfError", "Btf", "BtfExt", "BtfObject", "CoreRelo", "DeclTag", "EnumValue",
           "FieldAccess", "FuncInfo", "LineInfo", "Member", "MemberPath", "Param", "Type", "VarSecinfo",
           "kinds", "load", "load_bytes", "parse_btf", "parse_btf_ext"]
