"""The x86-64 machine code the native engine places beside a linked JIT image.

Kernel counterpart: none directly; these are the user-space stand-ins for what surrounds a
JIT'd program in the kernel (the helper call targets, ``bpf_prog_run``'s call of the entry,
the fault path), written as bytes for :mod:`pipeline.exec_native` and, for the repeat loop,
mapped into :mod:`pipeline.exec_unicorn`'s emulated memory as well:

* :func:`stub_code`: a helper/kfunc stub recording the return address and reaching a callback;
* :data:`REPEAT_LOOP`: ``repeat(entry, ctx, n)``, N runs in one call;
* :func:`fault_handler`: a signal handler writing (:data:`FAULT_MAGIC`, signal, rip, fault
  address) to a pipe and exiting.
"""

from __future__ import annotations

import struct

from isa.ints import U64

FAULT_MAGIC = 0x544C5541465F5042       # "BP_FAULT"


def jmp_rel32(at: int, to: int) -> bytes:
    return b"\xE9" + struct.pack("<i", to - (at + 5))


def movabs(reg_rex_op: bytes, imm: int) -> bytes:
    return reg_rex_op + struct.pack("<Q", imm & U64)


def stub_code(kind: str, cells: int, cb: int) -> bytes:
    """Record the return address in ``cells``, then reach the callback ``cb``.

    plain:   jump to it (it returns straight to the program);
    through: call it, then if the flag cell is set return to the target cell's address
             instead (a tail call's caller epilogue);
    ld_abs:  call it, rdx = the flag cell (1: out of range, the program returns 0), then
             clear the cell."""
    rec = (b"\x4C\x8B\x1C\x24"                 # mov r11, [rsp]
           + movabs(b"\x48\xB8", cells)       # movabs rax, cells
           + b"\x4C\x89\x18")                  # mov [rax], r11
    if kind == "plain":
        return rec + movabs(b"\x48\xB8", cb) + b"\xFF\xE0"          # movabs rax, cb; jmp rax
    call = (b"\x48\x83\xEC\x08" + movabs(b"\x48\xB8", cb) + b"\xFF\xD0"   # sub rsp,8; call
            + b"\x48\x83\xC4\x08" + movabs(b"\x49\xBB", cells + 8))        # add; movabs r11
    if kind == "ld_abs":
        # the flag is cleared once read: left set, it would redirect the next tail call
        # that falls through (the "through" stub reads the same cell)
        return (rec + call + b"\x49\x8B\x13"                         # mov rdx, [r11]
                + b"\x49\xC7\x03\x00\x00\x00\x00" + b"\xC3")         # mov qword [r11], 0; ret
    tail = (b"\x49\xC7\x03\x00\x00\x00\x00"     # mov qword [r11], 0
            + b"\x4D\x8B\x53\x08"               # mov r10, [r11 + 8]
            + b"\x4C\x89\x14\x24")              # mov [rsp], r10
    return (rec + call + b"\x4D\x8B\x13"        # mov r10, [r11]
            + b"\x4D\x85\xD2"                   # test r10, r10
            + b"\x74" + bytes([len(tail)]) + tail + b"\xC3")


# repeat(entry, ctx, n): call entry(ctx) n times, return the last result.  The loop state
# lives in its own frame, so the program may use every register the JIT saves or not.
REPEAT_LOOP = bytes.fromhex(
    "53" "4154" "4155" "4156" "4157"        # push rbx, r12, r13, r14, r15 (rsp 16-aligned)
    "4883EC20"                              # sub rsp, 32
    "48893C24" "4889742408" "4889542410"    # [rsp] = entry, [rsp+8] = ctx, [rsp+16] = n
    "48C744241800000000"                    # [rsp+24] = 0 (r0)
    "48837C241000" "7414"                   # loop: cmp qword [rsp+16], 0; je done
    "488B7C2408" "FF1424"                   # mov rdi, [rsp+8]; call [rsp]
    "4889442418" "48FF4C2410" "EBE4"        # [rsp+24] = rax; dec qword [rsp+16]; jmp loop
    "488B442418" "4883C420"                 # done: rax = [rsp+24]; add rsp, 32
    "415F" "415E" "415D" "415C" "5B" "C3")  # pop r15 .. rbx; ret
REPEAT_AT = 256                        # offset after the fault handler, same page
# helpers that need Python between two runs: tail calls (their counter), timers (fired
# after each run)
PER_RUN_HELPERS = {12, 169, 170, 171, 172}


def fault_handler(fd: int) -> bytes:
    """``handler(sig, info, uctx)``: write (magic, sig, rip, si_addr) to ``fd``, exit 3."""
    return (b"\x48\x83\xEC\x28"                 # sub rsp, 40
            + movabs(b"\x48\xB8", FAULT_MAGIC)      # movabs rax, MAGIC
            + b"\x48\x89\x04\x24"               # mov [rsp], rax
            + b"\x48\x89\x7C\x24\x08"           # mov [rsp+8], rdi
            + b"\x48\x8B\x82\xA8\x00\x00\x00"   # mov rax, [rdx+168]  (uc_mcontext.gregs[RIP])
            + b"\x48\x89\x44\x24\x10"           # mov [rsp+16], rax
            + b"\x48\x8B\x46\x10"               # mov rax, [rsi+16]   (si_addr)
            + b"\x48\x89\x44\x24\x18"           # mov [rsp+24], rax
            + b"\xB8\x01\x00\x00\x00"           # mov eax, SYS_write
            + b"\xBF" + struct.pack("<I", fd)   # mov edi, fd
            + b"\x48\x89\xE6"                   # mov rsi, rsp
            + b"\xBA\x20\x00\x00\x00"           # mov edx, 32
            + b"\x0F\x05"                       # syscall
            + b"\xB8\xE7\x00\x00\x00"           # mov eax, SYS_exit_group
            + b"\xBF\x03\x00\x00\x00"           # mov edi, 3
            + b"\x0F\x05"                       # syscall
            + b"\x0F\x0B")                      # ud2
