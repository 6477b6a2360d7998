"""The one exception of the btf package.

Every problem with BTF input (bad magic, truncated records, ids or string
offsets out of range, cycles, incompatible prototypes) is a :class:`BtfError`
carrying a one-line message and, where it makes sense, the location (usually
``"<section>+0x<byte offset>"``).  The CLI maps it to exit code 2.
"""

from __future__ import annotations


from isa.errors import BAD_INPUT, Error


class BtfError(Error):
    kind = "btf"
    exit_code = BAD_INPUT

    def __str__(self) -> str:
        if self.location:
            return f"{self.location}: {self.message}"
        return self.message
