"""The BPF instruction set shared by every stage (leaf package: imports nothing of ours).

- :mod:`isa.opcodes` — opcode, register and ABI-limit constants;
- :mod:`isa.insn` — the 8-byte :class:`Insn`, decode/encode, validity;
- :mod:`isa.disasm` — llvm-objdump and kernel-log text;
- :mod:`isa.asm` / :mod:`isa.conformance` — the bpf_conformance assembler and `.data` files.
"""

from .insn import Insn, IsaError, check_program, decode, encode, imm64, ld_imm64, opcode_problem

__all__ = ["Insn", "IsaError", "check_program", "decode", "encode", "imm64", "ld_imm64",
           "opcode_problem"]
from .asm import AsmError, assemble  # noqa: E402  the bpf_conformance assembler
from .conformance import ConformanceError, ConformanceTest  # noqa: E402
__all__ += ["AsmError", "assemble", "ConformanceError", "ConformanceTest"]
from .disasm import Line, disassemble, format_insn, render_kernel, render_objdump  # noqa: E402
__all__ += ["Line", "disassemble", "format_insn", "render_kernel", "render_objdump"]
