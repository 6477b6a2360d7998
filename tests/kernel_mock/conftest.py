"""Fixtures for the mock-kernel tests: the registry, test programs, and bpftool's view of BTF.

bpftool is the oracle for what a BTF blob contains: ``raw_btf`` parses
``bpftool btf dump file X format raw`` (one ``[id] KIND 'name' k=v...`` line
per type, members/params indented below) into plain dicts, and
``render`` spells a type id the way a C prototype would.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from pipeline.kernel import INCLUDE_DIR, registry
from toolchain.driver import CompileOptions, compile_c

DATA = Path(__file__).resolve().parent.parent / "data" / "kernel_mock"
VMLINUX = Path("/sys/kernel/btf/vmlinux")

_TYPE_RE = re.compile(r"^\[(\d+)\] (\w+) '([^']*)'(.*)$")
_MEMBER_RE = re.compile(r"^\t'([^']*)'(.*)$")
_KV_RE = re.compile(r"(\w+)=(\S+)")


def parse_raw(text: str) -> dict[int, dict]:
    types: dict[int, dict] = {}
    cur = None
    for line in text.splitlines():
        m = _TYPE_RE.match(line)
        if m:
            tid, kind, name, rest = int(m[1]), m[2], m[3], m[4]
            cur = {"id": tid, "kind": kind, "name": name, "attrs": dict(_KV_RE.findall(rest)),
                   "members": []}
            types[tid] = cur
            continue
        m = _MEMBER_RE.match(line)
        if m and cur is not None:
            member = {"name": m[1], **dict(_KV_RE.findall(m[2]))}
            cur["members"].append(member)
    return types


class RawBtf:
    """bpftool's raw dump of one file, with C-style rendering of types."""

    def __init__(self, text: str):
        self.types = parse_raw(text)
        self.by_name: dict[tuple[str, str], dict] = {}
        for t in self.types.values():
            self.by_name.setdefault((t["kind"], t["name"]), t)

    def get(self, kind: str, name: str) -> dict | None:
        return self.by_name.get((kind, name))

    def render(self, tid: int) -> str:
        if tid == 0:
            return "void"
        t = self.types[tid]
        k, target = t["kind"], int(t["attrs"].get("type_id", 0))
        if k == "PTR":
            inner = self.render(target)
            return inner + ("*" if inner.endswith("*") else " *")
        if k in ("CONST", "VOLATILE"):
            return f"{k.lower()} {self.render(target)}"
        if k in ("STRUCT", "UNION", "ENUM"):
            return f"{k.lower()} {t['name']}"
        if k == "FWD":
            return f"{t['attrs']['fwd_kind']} {t['name']}"
        if k == "ARRAY":
            return f"{self.render(target)}[{t['attrs']['nr_elems']}]"
        return t["name"]   # INT, TYPEDEF

    def resolve_int(self, tid: int) -> dict | None:
        """The INT behind a typedef chain (None if it is not an integer)."""
        while tid:
            t = self.types[tid]
            if t["kind"] == "INT":
                return t
            if t["kind"] != "TYPEDEF":
                return None
            tid = int(t["attrs"]["type_id"])
        return None

    def compat(self, tid: int) -> str:
        """The rendering libbpf's loose compatibility sees: every integer is 'int'."""
        if self.resolve_int(tid) is not None:
            return "<int>"
        t = self.types.get(tid)
        if t and t["kind"] in ("PTR", "CONST", "ARRAY"):
            inner = self.compat(int(t["attrs"]["type_id"]))
            if t["kind"] == "ARRAY":
                return f"{inner}[{t['attrs']['nr_elems']}]"
            return inner + " *" if t["kind"] == "PTR" else "const " + inner
        return self.render(tid)

    def func(self, name: str):
        """(return type id, [(param name, type id)]) of FUNC ``name``, or None."""
        f = self.get("FUNC", name)
        if f is None:
            return None
        proto = self.types[int(f["attrs"]["type_id"])]
        return (int(proto["attrs"]["ret_type_id"]),
                [(p["name"], int(p["type_id"])) for p in proto["members"]])

    def signature(self, name: str):
        ret, params = self.func(name)
        return self.render(ret), [(n, self.render(t)) for n, t in params]

    def decl_tags(self, name: str) -> list[str]:
        f = self.get("FUNC", name)
        return [t["name"] for t in self.types.values()
                if t["kind"] == "DECL_TAG" and int(t["attrs"]["type_id"]) == f["id"]]


def bpftool_raw(bpftool: str, path) -> RawBtf:
    out = subprocess.run([bpftool, "btf", "dump", "file", str(path), "format", "raw"],
                         check=True, capture_output=True, text=True).stdout
    return RawBtf(out)


@pytest.fixture(scope="session")
def reg():
    return registry()


@pytest.fixture(scope="session")
def kernel_raw(bpftool, reg) -> RawBtf:
    return bpftool_raw(bpftool, reg.build.path)


@pytest.fixture(scope="session")
def vmlinux_raw(bpftool) -> RawBtf:
    if not VMLINUX.is_file():
        pytest.skip("this kernel exposes no /sys/kernel/btf/vmlinux")
    try:
        return bpftool_raw(bpftool, VMLINUX)
    except subprocess.CalledProcessError as e:
        pytest.skip(f"bpftool cannot read {VMLINUX}: {e.stderr.strip()}")


@pytest.fixture(scope="session")
def build_prog(tmp_path_factory):
    """build_prog(name, *defines) -> object path of tests/data/kernel_mock/<name>.c."""
    out = tmp_path_factory.mktemp("kernel_mock_progs")
    done: dict = {}

    def _build(name: str, *defines: str) -> Path:
        key = (name, defines)
        if key not in done:
            obj = out / f"{name}{''.join('-' + d for d in defines)}.o"
            compile_c(DATA / f"{name}.c", obj,
                      CompileOptions(include_dirs=[str(INCLUDE_DIR)], defines=list(defines)))
            done[key] = obj
        return done[key]
    return _build


@pytest.fixture(scope="session")
def raw_of(bpftool):
    return lambda path: bpftool_raw(bpftool, path)
