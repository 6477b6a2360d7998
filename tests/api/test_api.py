"""The library face: pipeline.build/load/verify/jit/run and pipeline.Error.

Oracles: the C semantics of the bundled example (sum of 1..10), the JIT image itself (what
``pipeline jit`` shows must be what ``pipeline run`` executes, byte for byte, on every
program the verifier accepts in tests/data and examples/), and the CLI's own contract.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline
from pipeline import api
from pipeline.kernel import INCLUDE_DIR

ROOT = Path(__file__).resolve().parents[2]

# every C file of the project's data and examples; a few need their own flags
SOURCES = sorted([*ROOT.glob("examples/*.c"), *ROOT.glob("tests/data/*/*.c")])
BUILD = {"16_acquire_release.c": {"mcpu": "v4"}, "19_sdiv_smod.c": {"mcpu": "v4"},
         "mismatch.c": {"defines": ["NARROW_INT"]}}
KERNEL = {"v1_kfuncs.c": "testmod_v1",
          "prog.c": str(ROOT / "tests" / "data" / "kmod" / "user" / "mykfuncs.py")}


def test_readme_one_liner_prints_55():
    # sum10(1, ..., 10) = 55, the value the C computes
    code = ("import pipeline; o = pipeline.build('examples/sum10.c'); "
            "print(pipeline.run(o, 'sum').retval)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "55"


def test_object_describes_programs_functions_and_globals():
    obj = pipeline.build(ROOT / "examples" / "sum10.c")
    prog = obj.program("sum")
    assert [p.name for p in obj.programs] == ["sum"] and prog.type == "sched_cls"
    assert [(f.name, f.args, f.stack_arg_slots) for f in prog.functions] == \
        [("sum", 1, 0), ("sum10", 10, 5)]          # sum10 takes ten: five through r11
    assert obj.btf is obj.btf and obj.btf is not None     # parsed once
    assert {"calls", "step"} <= set(obj.globals)
    assert obj.globals["calls"].section == ".bss" and obj.globals["calls"].size == 8


def test_verify_jit_run_share_one_verdict_shape():
    obj = pipeline.load(ROOT / "examples" / "sum10.c")
    v = pipeline.verify(obj, "sum")
    assert v.accepted and v.processed_insns > 0 and v.log == ""       # log_level 0
    img = pipeline.jit(obj, "sum", verdict=v)
    assert img.size == len(img.code) > 0
    res = pipeline.run(obj, "sum", globals={"step": 2}, repeat=3)
    assert (res.retval, res.globals["calls"]) == (110, 3)     # 2 * 55; calls counts the runs
    assert pipeline.run(obj, "sum", engine="interp").retval == 55


def test_errors_are_one_family():
    with pytest.raises(pipeline.Error) as e:
        pipeline.load(ROOT / "no-such-file.bpf.o")
    assert e.value.kind == "io" and e.value.exit_code == 2
    obj = pipeline.build(ROOT / "examples" / "sum10.c")
    with pytest.raises(pipeline.Error) as e:
        pipeline.run(obj, "nope")
    assert e.value.kind == "usage" and "programs: sum" in str(e.value)
    with pytest.raises(pipeline.Error) as e:
        pipeline.run(obj, "sum", globals={"nope": 1})
    assert e.value.kind == "usage"


def test_a_rejected_program_is_not_jitted(tmp_path):
    src = tmp_path / "bad.c"
    src.write_text('#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n'
                   'SEC("tc") int bad(struct __sk_buff *skb)\n'
                   '{ return *(volatile int *)((char *)skb + 4000); }\n'
                   'char LICENSE[] SEC("license") = "GPL";\n')
    obj = pipeline.build(src)
    v = pipeline.verify(obj)
    assert not v.accepted and "invalid bpf_context access" in v.error_line
    with pytest.raises(pipeline.Error) as e:
        pipeline.jit(obj)
    assert e.value.kind == "verifier" and e.value.exit_code == 1
    assert pipeline.jit(obj, verified=False).size > 0      # the escape hatch


def _images_of(obj, prog, monkeypatch, kernel=None):
    """(the image pipeline.jit gives, the image pipeline.run hands its executor)."""
    seen = {}

    def capture(obj, p, linked, *, image=None, **kw):
        seen["image"] = image
        raise _Stop

    monkeypatch.setattr(api, "execute", capture)
    try:
        pipeline.run(obj, prog, kernel=kernel)
    except _Stop:
        pass
    except pipeline.Error as e:
        # a program the mock kernel cannot run (tracing/lsm/struct_ops, map-in-map) is
        # refused by name before any image is handed over
        assert e.kind == "runtime" and "cannot run" in str(e), str(e)
        seen["refused"] = True
    return pipeline.jit(obj, prog, kernel=kernel), seen.get("image"), seen.get("refused")


class _Stop(Exception):
    pass


@pytest.mark.parametrize("src", SOURCES, ids=[f"{p.parent.name}/{p.name}" for p in SOURCES])
def test_jit_shows_the_image_run_executes(src, monkeypatch):
    obj = pipeline.build(src, include=[INCLUDE_DIR], **BUILD.get(src.name, {}))
    kernel = KERNEL.get(src.name)
    for prog in obj.programs:
        if pipeline.verify(obj, prog.name, kernel=kernel).accepted:
            shown, ran, refused = _images_of(obj, prog.name, monkeypatch, kernel)
            assert refused or (ran is not None and shown.code == ran.code), prog.name
        else:       # the kernel JITs only what it verified
            with pytest.raises(pipeline.Error) as e:
                pipeline.jit(obj, prog.name, kernel=kernel)
            assert e.value.kind == "verifier", prog.name


@pytest.mark.parametrize("src, prog", [("examples/sum10.c", "sum"),
                                       ("tests/data/stack_arg/kfunc_calls.c",
                                        "kf_ten_scalars")])
def test_cli_jit_json_is_the_run_image(src, prog, monkeypatch):
    out = subprocess.run([sys.executable, "-m", "pipeline", "jit", src, "--prog", prog, "--json",
                          "-I", str(INCLUDE_DIR)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    cli_code = bytes.fromhex(json.loads(out.stdout)["programs"][0]["code"])
    obj = pipeline.build(ROOT / src, include=[INCLUDE_DIR])
    _, ran, _ = _images_of(obj, prog, monkeypatch)
    assert cli_code == ran.code
