"""The BPF instruction set shared by every stage (leaf package: imports nothing of ours).

- :mod:`isa.opcodes` — opcode and register constants;
- :mod:`isa.insn` — the 8-byte :class:`Insn`, decode/encode, validity;
- :mod:`isa.ints` — u32/u64/s32/s64 casts and sign extension;
- :mod:`isa.stack_args` — the stack-argument (r11) ABI: slots, limits, instruction shapes;
- :mod:`isa.uapi` — uapi facts: helper and map type names, errno, context field offsets;
- :mod:`isa.elf` — the checked ELF reader every stage reads objects with;
- :mod:`isa.errors` — the project's one error family;
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
