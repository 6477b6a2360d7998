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
# the assembler and the disassemblers are imported on first use (most processes need neither)
_LAZY = {"AsmError": "asm", "assemble": "asm",      # the bpf_conformance assembler
         "ConformanceError": "conformance", "ConformanceTest": "conformance",
         "Line": "disasm", "disassemble": "disasm", "format_insn": "disasm",
         "render_kernel": "disasm", "render_objdump": "disasm"}
__all__ += list(_LAZY)


def __getattr__(name: str):
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module
    value = getattr(import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value
