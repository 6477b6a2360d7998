"""Real-world differential harness: the Linux 6.12 BPF selftests, the live kernel vs ``pipeline.verify``.

Counterpart: ``test_progs`` loading each program of ``progs/*.c`` (libbpf + BPF_PROG_LOAD).
For every program of every object built by :mod:`prepare`:

* the kernel's verdict (:mod:`kernel_side`: the in-tree libbpf, one program per load);
* ours (:mod:`ours`: ``pipeline.load`` + ``pipeline.verify``, in a child with a time limit);
* a category: ``agree`` (same verdict), ``stricter`` (we reject, the kernel accepts),
  ``permissive`` (we accept, the kernel rejects), ``crash`` (our exception that is not a
  ``pipeline.Error``), ``timeout``/``memory`` (no verdict of ours within the limits), or
  ``env`` (the kernel cannot load it here for environment reasons: libbpf stopped before the
  verifier ran, e.g. a missing bpf_testmod or attach target; listed apart, not counted).

Writes ``results.txt`` (one sorted line per program, so regressions show as diffs) and
``summary.txt`` next to this file, unless ``--only`` selects a subset (then to
``--out DIR``, default the cache directory).  Not a test: nothing asserts.

    python3 bench/realworld/run.py [--only GLOB] [--timeout S] [--prepare-only] [--jobs N]

``--only`` matches object names (``verifier_*``) or ``object/program``
(``verifier_and/*``); ``--jobs`` only parallelises the one-time compile.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import kernel_side  # noqa: E402
import ours  # noqa: E402
import prepare  # noqa: E402
from tests.oracles import kernel  # noqa: E402

COUNTED = ("agree", "stricter", "permissive", "crash", "timeout", "memory")


class Row(NamedTuple):
    """One line of results.txt (tab-separated, in this order)."""
    obj: str
    prog: str
    section: str
    cat: str
    kernel: str      # acc(N) / rej(N) / rej(libbpf) / env
    ours: str        # acc(N) / rej(N) / crash / timeout / memory / -
    reason: str

    @staticmethod
    def parse(line: str) -> "Row":
        return Row(*line.rstrip("\n").split("\t"))


def _clip(s: str, n: int = 160) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[:n - 3] + "..."


def _side(kind: str, insns) -> str:
    return f"{kind}({insns})" if insns is not None else kind


def classify(kv: kernel_side.KernelVerdict, ov: ours.OurVerdict) -> tuple[str, str]:
    """(category, reason) for one program."""
    env = kv.environment
    if env:
        return "env", f"{env}: {kv.libbpf or kv.line}"
    if ov.kind in ("crash", "timeout", "memory"):
        return ov.kind, ov.line
    if ov.kind == "accept" and kv.accepted:
        if ov.insns != kv.insns:
            return "agree", f"insns ours {ov.insns} kernel {kv.insns}"
        return "agree", ""
    if ov.kind == "reject" and not kv.accepted:
        if kv.line and ov.line != kv.line:
            return "agree", f"message ours: {ov.line} | kernel: {kv.line}"
        return "agree", ""
    if ov.kind == "reject":
        return "stricter", ov.line
    return "permissive", kv.line or kv.libbpf


def _matches(only: str | None, obj: str, prog: str | None = None) -> bool:
    """Whether ``obj`` (and ``prog``) is selected by ``only``: globs separated by commas."""
    if not only:
        return True
    if "," in only:
        return any(_matches(o, obj, prog) for o in only.split(",") if o)
    if "/" in only:
        o, _, p = only.partition("/")
        return fnmatch.fnmatch(obj, o) and (prog is None or fnmatch.fnmatch(prog, p))
    return fnmatch.fnmatch(obj, only)


def run(c: prepare.Corpus, only: str | None, timeout: float, log) -> list[Row]:
    ok, why = kernel.kernel_available()
    if not ok:
        raise prepare.PrepareError(f"the live kernel is needed: {why}")
    lb = kernel_side.Libbpf(c.libbpf_so)
    rows = []
    objs = [o for o in c.objects() if _matches(only, o.name[:-len(".bpf.o")])]
    t0 = time.monotonic()
    for i, path in enumerate(objs, 1):
        name = path.name[:-len(".bpf.o")]
        progs = lb.programs(path)
        obj = ours.load(path)
        refused = None
        if isinstance(progs, str):
            # libbpf refuses the whole object: every program we see gets that verdict
            refused = kernel_side.KernelVerdict(False, libbpf=progs, reached_verifier=False)
            progs = ([] if isinstance(obj, ours.OurVerdict)
                     else [(p.name, p.section) for p in obj.programs]) or [("-", "-")]
        progs = [(p, s) for p, s in progs if _matches(only, name, p)]
        for prog, sec in progs:
            kv = refused or lb.verdict(path, prog)
            if kv.environment:
                ov = ours.OurVerdict("-")
            elif isinstance(obj, ours.OurVerdict):
                ov = obj
            elif prog == "-":
                ov = ours.OurVerdict("accept", "load: an object without programs")
            else:
                ov = ours.verify(obj, prog, timeout)
            cat, reason = classify(kv, ov)
            if cat in ("stricter", "permissive"):
                reason = f"ours: {ov.line or 'accepted'} | kernel: {kv.line or kv.libbpf or 'accepted'}"
            k = ("env" if kv.environment else
                 _side("acc" if kv.accepted else "rej", kv.insns) if kv.reached_verifier
                 else "rej(libbpf)")
            o = _side({"accept": "acc", "reject": "rej"}.get(ov.kind, ov.kind), ov.insns)
            rows.append(Row(name, prog, sec, cat, k, o, _clip(reason, 300)))
        if i % 50 == 0:
            log(f"  {i}/{len(objs)} objects, {len(rows)} programs, {time.monotonic() - t0:.0f} s")
    return sorted(rows)


# --- report --------------------------------------------------------------------------------

_NUM = re.compile(r"\b\d+\b|0x[0-9a-f]+")


# what our message means, where it names a gap of the model rather than a rule
CAUSES = [
    ("kernel btf_id N is not a function", "kfunc missing from the mock kernel"),
    ("invalid bpf_context access", "program context (or its fields) not modelled"),
    ("is not supported by this verifier", "helper not implemented"),
    ("program of this type cannot use helper", "helper-per-program-type table"),
    ("infinite loop detected", "open-coded iterator/loop convergence"),
    ("expected=map_ptr", "map-in-map lookups"),
]


def cause(reason: str) -> str:
    """A stricter row's cause: our message with numbers and register names blurred."""
    ours_part = reason.split(" | kernel:")[0].removeprefix("ours: ")
    s = _NUM.sub("N", ours_part)
    s = re.sub(r"\bR\d+\b", "R", s)
    s = re.sub(r"'[^']*'", "'..'", s) if "kfunc" not in s and "func" not in s else s
    return _clip(s, 110)


def summary(rows: list[Row], failed: dict, elapsed: float) -> str:
    cats = Counter(r.cat for r in rows)
    counted = [r for r in rows if r.cat in COUNTED]
    both = [r for r in counted if r.kernel.startswith("acc") and r.ours.startswith("acc")]
    equal = [r for r in both if r.kernel[3:] == r.ours[3:]]
    objs = {r.obj for r in rows}
    out = [f"objects compiled: {len(objs)} (failed to compile: {len(failed)})",
           f"programs: {len(rows)}; environment (not counted): {cats['env']}; "
           f"comparable: {len(counted)}",
           f"agree: {cats['agree']}; stricter: {cats['stricter']}; "
           f"more-permissive: {cats['permissive']}; crash: {cats['crash']}; "
           f"timeout: {cats['timeout']}; memory: {cats['memory']}"]
    if counted:
        out.append(f"agree rate: {100 * cats['agree'] / len(counted):.1f}%; stricter rate: "
                   f"{100 * cats['stricter'] / len(counted):.1f}%")
    if both:
        out.append(f"accepted by both: {len(both)}; processed insns equal: {len(equal)} "
                   f"({100 * len(equal) / len(both):.1f}%)")
    rej = [r for r in counted if r.cat == "agree" and r.kernel.startswith("rej")]
    same = [r for r in rej if not r.reason.startswith("message ")]
    if rej:
        out.append(f"rejected by both: {len(rej)}; same verdict line: {len(same)} "
                   f"({100 * len(same) / len(rej):.1f}%)")
    out.append(f"kernel accepted {sum(r.kernel.startswith('acc') for r in counted)}, "
               f"rejected {sum(r.kernel.startswith('rej') for r in counted)} of the comparable "
               f"({sum(r.kernel == 'rej(libbpf)' for r in counted)} of them by libbpf before "
               f"the verifier: unknown section, legacy maps, ...)")
    if elapsed:
        out.append(f"elapsed: {elapsed:.0f} s (serial)")
    for title, cat in (("more-permissive (we accept, the kernel rejects)", "permissive"),
                       ("crash", "crash"), ("timeout", "timeout"), ("memory", "memory")):
        sel = [r for r in rows if r.cat == cat]
        if sel:
            out += ["", f"## {title}: {len(sel)}"] + [f"{r.obj}/{r.prog}: {r.reason}" for r in sel]
    strict = [r for r in rows if r.cat == "stricter"]
    if strict:
        groups = defaultdict(list)
        for r in strict:
            groups[cause(r.reason)].append(r)
        out += ["", f"## stricter (we reject, the kernel accepts): {len(strict)}, by our message "
                    f"(program sections; examples)"]
        for k, v in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            secs = Counter(r.section.split("/")[0] for r in v)
            more = f" +{len(v) - 3}" if len(v) > 3 else ""
            label = next((f"  <- {lab}" for pat, lab in CAUSES if pat in k), "")
            out.append(f"{len(v):5}  {k}{label}")
            out.append(f"         ({', '.join(f'{s} {n}' for s, n in secs.most_common(6))}"
                       f"{' ...' if len(secs) > 6 else ''}; "
                       f"{', '.join(f'{r.obj}/{r.prog}' for r in v[:3])}{more})")
    diff = [r for r in both if r.kernel[3:] != r.ours[3:]]
    if diff:
        out += ["", f"## processed insns differ (accepted by both): {len(diff)}"]
        out += [f"{r.obj}/{r.prog}: kernel {r.kernel[4:-1]} ours {r.ours[4:-1]}" for r in diff]
    if len(rej) > len(same):
        pairs = Counter(cause(r.reason.removeprefix("message ")) + "  ->  kernel: " + _clip(
            _NUM.sub("N", r.reason.split(" | kernel: ")[-1]), 80)
            for r in rej if r.reason.startswith("message "))
        out += ["", f"## verdict lines differ (rejected by both): {len(rej) - len(same)}, "
                    f"the 30 most common (ours -> kernel)"]
        out += [f"{n:5}  {k}" for k, n in pairs.most_common(30)]
    env = Counter(r.reason.split(":")[0] for r in rows if r.cat == "env")
    if env:
        out += ["", f"## environment (kernel could not load here; not counted): {cats['env']}"]
        out += [f"{n:5}  {k}" for k, n in env.most_common()]
    if failed:
        out += ["", f"## failed to compile: {len(failed)}"]
        out += [f"{k}: {_clip(v, 140)}" for k, v in sorted(failed.items())]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", metavar="GLOB",
                    help="objects (or object/program) to run; several globs: comma-separated")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds our verifier may take per program (default 60)")
    ap.add_argument("--jobs", type=int, default=1, help="parallel compiles (default 1)")
    ap.add_argument("--prepare-only", action="store_true", help="fetch and compile, then stop")
    ap.add_argument("--out", type=Path, help="where results.txt/summary.txt go")
    ap.add_argument("--summary", type=Path, metavar="RESULTS",
                    help="only rewrite the summary of an existing results.txt")
    a = ap.parse_args(argv)
    c = prepare.Corpus()
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    t0 = time.monotonic()
    if a.summary:
        rows = [Row.parse(l) for l in a.summary.read_text().splitlines() if l.strip()]
        failed = dict(l.split("\t", 1) for l in c.failures.read_text().splitlines()
                      ) if c.failures.exists() else {}
        old = a.summary.parent / "summary.txt"      # keep the run's measured time
        m = re.search(r"^elapsed: (\d+) s", old.read_text(), re.M) if old.exists() else None
        text = summary(rows, failed, float(m.group(1)) if m else 0)
        old.write_text(text)
        print(text, end="")
        return 0
    obj_only = ",".join(o.partition("/")[0] for o in a.only.split(",")) if a.only else None
    try:
        _built, failed = prepare.prepare(c, log, obj_only, a.jobs)
        if a.prepare_only:
            print(f"{len(c.objects(obj_only))} objects in {c.objs}; {len(failed)} failed to compile")
            return 0
        rows = run(c, a.only, a.timeout, log)
    except prepare.PrepareError as e:
        print(f"realworld: {e}", file=sys.stderr)
        return 2
    out = a.out or (c.root if a.only else HERE)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.txt").write_text("".join("\t".join(r) + "\n" for r in rows))
    text = summary(rows, failed, time.monotonic() - t0)
    (out / "summary.txt").write_text(text)
    print(text, end="")
    print(f"(results in {out / 'results.txt'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
