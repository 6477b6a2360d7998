"""Build the verifier's input for a verifier-corpus entry, independently of the kernel.

* asm entries: the section bytes, with every LD_IMM64 against a ``// map:`` name turned
  into ``src = BPF_PSEUDO_MAP_FD, imm = <index into the map list>`` (the fd_array
  convention of :class:`verifier.VerifierInput`), the declared maps and license;
* C entries: the project's own ELF loader and ``pipeline.verifier_input``
  (libbpf-equivalent linking, maps from BTF, func_info/line_info).
"""

from __future__ import annotations

from pathlib import Path

import isa
from isa import opcodes as op
from verifier import MapDesc, VerifierInput


def input_for(entry, obj: Path) -> VerifierInput:
    from oracles import corpus
    if entry.kind == "asm":
        code, refs = corpus.raw_program(entry, obj)
        insns = isa.decode(code)
        names = [m.name for m in entry.maps]
        maps = [MapDesc(m.name, m.map_type, m.key_size, m.value_size, m.max_entries)
                for m in entry.maps]
        for i, name in refs.items():
            ins = insns[i]
            insns[i] = isa.Insn(ins.code, ins.dst, op.PSEUDO_MAP_FD, ins.off, names.index(name))
        return VerifierInput(insns, prog_type=entry.prog_type, maps=maps, name=entry.path.stem,
                             license=entry.license)
    import pipeline
    return pipeline.verifier_input(pipeline.load(obj), entry.prog)


def inputs_by_name(names, out: Path) -> dict:
    """The verifier inputs of the corpus entries ``names`` (file stems), built into ``out``;
    skips the calling test where clang-22 is missing."""
    import pytest

    from oracles import corpus
    if corpus.find_clang() is None:
        pytest.skip("clang-22 not found")
    by_name = {e.path.stem: e for e in corpus.iter_corpus()}
    return {name: input_for(by_name[name], corpus.build(by_name[name], out)) for name in names}


def last_error_line(log: str) -> str:
    """The verdict line as the kernel harness extracts it (last non-statistics line)."""
    from oracles.kernel import LoadResult
    return LoadResult(False, 0, log).error_line
