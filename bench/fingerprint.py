"""Verifier fingerprint: one line per program and log level, to prove a speed change
changed nothing observable.

Each line holds the verdict, the error message and instruction, processed insns,
max_states_per_insn, total and peak states, mark_read, a hash of the log (with the
``verification time N usec`` line masked: it is a clock reading) and of the
per-subprogram facts, and whether the run hit an internal error.  Two trees are
compared by fingerprinting each and ``cmp``-ing the files.

* corpus (default): the 298 programs of tests/data/verifier_corpus at log levels
  1, 2, 4 and 6 (about 3 minutes);
* ``--realworld``: every program of the kernel selftest objects that
  ``bench/realworld/prepare.py`` built (``--only`` globs as there), through
  ``pipeline.load``/``pipeline.verify``, at log levels 1 and 2, in ``--jobs`` forked
  workers with a per-program time limit (all 3,382 programs: about 40 minutes on one
  worker).

    python bench/fingerprint.py --out F [--tree DIR] [--only SUBSTRING] [--levels 1,2,4,6]
    python bench/fingerprint.py --out F --realworld [--only GLOB,...] [--jobs N] [--timeout S]

``--tree`` fingerprints another checkout (a git worktree of the commit to compare with):
its packages are imported instead of this one's.  Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import signal
import sys
import tempfile
from multiprocessing import get_context
from pathlib import Path

_VTIME = re.compile(r"verification time \d+ usec")


def line(v) -> str:
    """The fingerprint of one Verdict."""
    log = _VTIME.sub("verification time - usec", v.log).encode()
    return " ".join(map(str, [
        v.accepted, v.error.message if v.error else None, v.error.insn if v.error else None,
        v.processed_insns, v.max_states_per_insn, v.total_states, v.peak_states, v.mark_read,
        hashlib.sha1(log).hexdigest()[:16],
        hashlib.sha1(repr(v.subprogs).encode()).hexdigest()[:12],
        v.internal_error is not None]))


def corpus_lines(only: str, levels: list[int]):
    from corpus_inputs import input_for
    from oracles import corpus
    from verifier import verify
    with tempfile.TemporaryDirectory(prefix="fingerprint-") as tmp:
        for e in corpus.iter_corpus():
            if only in e.name:
                inp = input_for(e, corpus.build(e, Path(tmp)))
                for lv in levels:
                    yield f"{e.name} L{lv} {line(verify(inp, log_level=lv))}"


def _timeout(*_):
    raise TimeoutError("fingerprint time limit")


def _object_lines(job) -> list[str]:
    """Every program of one selftest object at levels 1 and 2 (in a forked worker)."""
    path, timeout = job
    import pipeline
    signal.signal(signal.SIGALRM, _timeout)
    name = Path(path).name[:-len(".bpf.o")]
    try:
        obj = pipeline.load(path, target_btf="vmlinux")
        progs = [p.name for p in obj.programs]
    except Exception as e:  # noqa: BLE001 - a load failure is part of the fingerprint
        return [f"{name} LOAD {type(e).__name__} {str(e)[:120]!r}"]
    out = []
    for p in progs:
        for lv in (1, 2):
            signal.alarm(timeout)
            try:
                r = line(pipeline.verify(obj, p, log_level=lv))
            except pipeline.Error as e:
                r = "ERR " + str(e)[:160].replace("\n", " ")
            except Exception as e:  # noqa: BLE001
                r = f"EXC {type(e).__name__} " + str(e)[:100].replace("\n", " ")
            signal.alarm(0)
            out.append(f"{name}/{p} L{lv} {r}")
    return out


def realworld_lines(root: Path, only: str, jobs: int, timeout: int):
    sys.path.insert(0, str(root / "bench" / "realworld"))
    import prepare
    objs = [(str(o), timeout) for o in prepare.Corpus().objects(only or None)]
    with get_context("fork").Pool(jobs, maxtasksperchild=20) as pool:
        for lines in pool.imap(_object_lines, objs):
            yield from lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path, help="the fingerprint file")
    ap.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="the checkout whose verifier runs (default: this one)")
    ap.add_argument("--realworld", action="store_true",
                    help="the kernel selftest objects instead of the corpus")
    ap.add_argument("--only", default="", help="corpus: a name substring; real world: globs")
    ap.add_argument("--levels", default="1,2,4,6", help="corpus log levels (default 1,2,4,6)")
    ap.add_argument("--jobs", type=int, default=1, help="real world: forked workers")
    ap.add_argument("--timeout", type=int, default=900,
                    help="real world: seconds per program and level (default 900)")
    args = ap.parse_args(argv)
    root = args.tree.resolve()
    sys.path[:0] = [str(root)]
    sys.path += [str(root / "tests"), str(root / "tests" / "verifier")]
    lines = (realworld_lines(root, args.only, args.jobs, args.timeout) if args.realworld
             else corpus_lines(args.only, [int(x) for x in args.levels.split(",")]))
    n = 0
    with open(args.out, "w") as f:
        for text in lines:
            f.write(text + "\n")
            f.flush()
            n += 1
    print(f"{n} lines -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
