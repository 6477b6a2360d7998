"""pipeline.codecache: dataclasses built through the code cache behave as CPython's own.

The oracle is the interpreter without the cache (``STACKARGS_NO_BYTECODE=1``): the same
class definitions must give the same reprs, comparisons, hashes, frozen-ness and
signatures, on a first run (cache written) and a second (cache read, nothing compiled),
and a corrupt cache file is ignored.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = r"""
import dataclasses, inspect, sys
from pipeline import codecache
codecache.install()

@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: int = 2
    tags: tuple = ()

@dataclasses.dataclass(order=True)
class Item:
    name: str
    weight: float = dataclasses.field(default=1.5, compare=False)
    parts: list = dataclasses.field(default_factory=list)

p, q = Point(1), Point(1, 2)
print(repr(p), p == q, hash(p) == hash(q), inspect.signature(Point))
try:
    p.x = 5
except dataclasses.FrozenInstanceError as e:
    print("frozen", type(e).__name__)
a, b = Item("a", 9.0), Item("b")
print(repr(a), a < b, a == Item("a"), inspect.signature(Item), Item("c").parts is not b.parts)
print("compiled", codecache._state.get("new"))
"""


def run(env_extra: dict, tmp: Path) -> list[str]:
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp))
    env.pop("STACKARGS_NO_BYTECODE", None)
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", PROGRAM], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return out.splitlines()


def test_same_classes_with_and_without_the_cache(tmp_path):
    plain = run({"STACKARGS_NO_BYTECODE": "1"}, tmp_path / "off")
    assert plain[-1] == "compiled None"          # the cache was off
    first = run({}, tmp_path / "on")
    files = list((tmp_path / "on" / "stackargs" / "dataclass-code").glob("*.marshal"))
    assert len(files) == 1 and files[0].stat().st_size > 0
    second = run({}, tmp_path / "on")
    assert first[:-1] == plain[:-1] and second[:-1] == plain[:-1]
    assert int(first[-1].split()[1]) > 0 and second[-1] == "compiled 0"
    files[0].write_bytes(b"\x00garbage")
    assert run({}, tmp_path / "on")[:-1] == plain[:-1]
