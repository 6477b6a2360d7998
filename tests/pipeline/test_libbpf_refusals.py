"""What libbpf refuses before the kernel's verifier runs, compared with the machine's libbpf.

* a program whose SEC() name matches none of libbpf's section definitions has no program
  type: ``bpf_object__load`` refuses that program (``prog 'X': missing BPF prog type, check
  ELF section name 'S'``); the object's other programs still load on their own;
* a BTF-defined map with a ``pinning`` value other than LIBBPF_PIN_NONE/BY_NAME fails
  ``bpf_object__open`` for the whole object (``map 'M': invalid pinning value N.``).

The oracle is the system's libbpf (through tests/oracles/kernel.py), its own messages
captured with ``libbpf_set_print``.  Skips where bpf() or libbpf is missing.  Also: struct_ops
programs, whose attach the kernel checks against a struct_ops member we do not model, are
refused by name rather than verified.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import pytest

from tests.oracles import kernel, kernel_objects
from tests.support.skips import needs_kernel_objects

import pipeline  # noqa: E402

needs_libbpf = needs_kernel_objects

HEAD = "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n"
TAIL = 'char LICENSE[] SEC("license") = "GPL";\n'

SECTIONS = HEAD + """
SEC("abc") int abc1(void *ctx) { return 0; }
SEC("abc/whatever") int abc2(void *ctx) { return 0; }
SEC("sk_msg1") int msg1(void *ctx) { return 1; }
SEC("dummy_tracepoint") int dummy_tp(void *ctx) { return 0; }
SEC("socket") int good(void *ctx) { return 0; }
""" + TAIL

PIN = HEAD + """
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, int);
  __type(value, long); __uint(pinning, %d); } pinmap SEC(".maps");
SEC("socket") int use_pin(void *ctx) { int k = 0; return bpf_map_lookup_elem(&pinmap, &k) ? 1 : 0; }
""" + TAIL

STRUCT_OPS = HEAD + """
struct tcp_congestion_ops;
SEC("struct_ops/get_info") int get_info(void *ctx) { return 0; }
struct task_struct { void (*fake)(void); } __attribute__((preserve_access_index));
SEC("struct_ops") void fake(void *ctx) { }
SEC(".struct_ops") struct task_struct not_ops = { .fake = (void *)fake };
""" + TAIL

_libc = ctypes.CDLL(None)
_libc.vsnprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]
_PRINT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
LIBBPF_WARN = 0


class LibbpfMessages:
    """libbpf's warnings while the block runs (libbpf_set_print), then silence again."""

    def __enter__(self) -> list[str]:
        self.lines: list[str] = []
        buf = ctypes.create_string_buffer(4096)

        def _print(level, fmt, args):
            if level == LIBBPF_WARN:
                _libc.vsnprintf(buf, len(buf), fmt, args)
                self.lines.append(buf.value.decode(errors="replace").rstrip("\n"))
            return 0
        self._cb = _PRINT_FN(_print)       # libbpf keeps the pointer: keep the callback alive
        kernel_objects._libbpf().libbpf_set_print(ctypes.cast(self._cb, ctypes.c_void_p))
        return self.lines

    def __exit__(self, *exc) -> None:
        kernel_objects._libbpf().libbpf_set_print(None)


def _build(tmp_path: Path, name: str, text: str) -> Path:
    src = tmp_path / f"{name}.c"
    src.write_text(text)
    out = tmp_path / f"{name}.o"
    pipeline.compile(src, out)
    return out


def _first_error(e: pipeline.Error) -> str:
    """Our message without the leading ``FILE: `` that every pipeline error carries."""
    return str(e).splitlines()[0].split(": ", 1)[1]


@pytest.fixture(scope="module")
def sections_obj(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("libbpf_sections"), "sections", SECTIONS)


@needs_libbpf
@pytest.mark.parametrize("prog", ["abc1", "abc2", "msg1", "dummy_tp"])
def test_unknown_section_refused_like_libbpf(sections_obj, prog):
    with LibbpfMessages() as lines:
        res = kernel.load_object(sections_obj, prog)
    res.close()
    assert not res.accepted and not res.reached_kernel
    libbpf = [l.removeprefix("libbpf: ") for l in lines if "missing BPF prog type" in l]
    assert len(libbpf) == 1, lines
    obj = pipeline.load(sections_obj)
    with pytest.raises(pipeline.Error) as e:
        pipeline.verify(obj, prog)
    assert _first_error(e.value) == libbpf[0]
    assert e.value.exit_code == 1
    with pytest.raises(pipeline.Error):
        pipeline.run(obj, prog)


@needs_libbpf
def test_other_programs_of_the_object_still_load(sections_obj):
    with kernel.load_object(sections_obj, "good") as res:
        assert res.accepted, res.log
        processed = kernel.prog_info(res.fd).verified_insns
    v = pipeline.verify(pipeline.load(sections_obj), "good")
    assert v.accepted and v.processed_insns == processed


@needs_libbpf
@pytest.mark.parametrize("pinning", [2, 3, 7])
def test_invalid_pinning_refused_at_open_like_libbpf(tmp_path, pinning):
    _refused_at_open_like_libbpf(_build(tmp_path, f"pin{pinning}", PIN % pinning), "pinning")


def _refused_at_open_like_libbpf(path: Path, topic: str) -> None:
    """The system libbpf's bpf_object__open fails on ``path`` with one message about
    ``topic``; pipeline.load refuses it with that message, exit 1."""
    with LibbpfMessages() as lines:
        with pytest.raises(OSError):
            kernel.object_programs(path)         # bpf_object__open fails
    libbpf = [l.removeprefix("libbpf: ") for l in lines if topic in l]
    assert len(libbpf) == 1, lines
    with pytest.raises(pipeline.Error) as e:
        pipeline.load(path)
    assert _first_error(e.value) == libbpf[0] and e.value.exit_code == 1


@needs_libbpf
def test_legacy_maps_section_refused_at_open_like_libbpf(tmp_path):
    src = Path(__file__).resolve().parents[1] / "data" / "loader" / "refused" / "legacy_map.c"
    path = tmp_path / "legacy_map.o"
    pipeline.compile(src, path)
    _refused_at_open_like_libbpf(path, "legacy map")


@needs_libbpf
@pytest.mark.parametrize("pinning", [0, 1])
def test_valid_pinning_opens_like_libbpf(tmp_path, pinning):
    path = _build(tmp_path, f"pin{pinning}", PIN % pinning)
    assert [p for p, _ in kernel.object_programs(path)] == ["use_pin"]   # opens
    assert [p.name for p in pipeline.load(path).programs] == ["use_pin"]


def test_struct_ops_programs_libbpf_cannot_attach_are_refused_by_name(tmp_path):
    """A struct_ops program no struct_ops map stores has no member to be verified as (libbpf
    sets attach_btf_id from the map); a map of a struct that is no struct_ops type is
    refused as libbpf refuses it (it looks for the kernel's bpf_struct_ops_<name>)."""
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        pytest.skip("this kernel exposes no /sys/kernel/btf/vmlinux")
    path = _build(tmp_path, "st_ops", STRUCT_OPS)
    obj = pipeline.load(path)
    for prog, want in (("get_info", "struct_ops program is not used by any struct_ops map"),
                       ("fake", "struct_ops init_kern: struct bpf_struct_ops_task_struct is "
                                "not found in kernel BTF")):
        with pytest.raises(pipeline.Error) as e:
            pipeline.verify(obj, prog, target_btf="vmlinux")
        msg = str(e.value)
        assert f"prog '{prog}'" in msg or str(path) in msg, msg
        assert want in msg and "\n" not in msg and e.value.exit_code == 1, msg


KSYMS = HEAD + """
extern const void bpf_fentry_test1 __ksym;
extern const int bpf_prog_active __ksym;
SEC("raw_tp/sys_enter") int typeless(void *ctx) { return (long)&bpf_fentry_test1 != 0; }
SEC("raw_tp/sys_enter") int typed(void *ctx)
{ const int *p = bpf_this_cpu_ptr(&bpf_prog_active); return p ? 1 : 0; }
""" + TAIL


@needs_libbpf
def test_typeless_ksym_verified_typed_ksym_refused_by_name(tmp_path):
    """A typeless __ksym is a plain address (libbpf: from kallsyms) and verified like the
    kernel does; a typed one is a BTF_ID load of a kernel variable, not modelled: refused
    before any instruction is verified instead of being the constant 0 (which let dead-code
    paths through)."""
    path = _build(tmp_path, "ksyms", KSYMS)
    obj = pipeline.load(path, target_btf="vmlinux")
    with kernel.load_object(path, "typeless") as res:
        assert res.accepted, res.log
        processed = kernel.prog_info(res.fd).verified_insns
    v = pipeline.verify(obj, "typeless")
    assert v.accepted and v.processed_insns == processed
    typed = pipeline.verify(obj, "typed")
    assert not typed.accepted and typed.processed_insns == 0, typed.log
