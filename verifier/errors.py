"""Verifier errors: a rejection carries the kernel's message text.

Checks raise :class:`VerifierError` with the exact line the kernel's verifier
would print (without the trailing newline).  ``lines`` may hold extra log
lines the kernel prints *before* the verdict line (e.g. ``arg#0 expects
pointer to ctx`` before ``Caller passes invalid args into func#1 ('get_len')``).
``errno`` mirrors the kernel's return code where it matters to callers
(EACCES for safety violations, EINVAL for malformed programs, E2BIG for
complexity limits).
"""

from __future__ import annotations

import errno as _errno

EACCES = _errno.EACCES
EINVAL = _errno.EINVAL
E2BIG = _errno.E2BIG
EFAULT = _errno.EFAULT
ENOTSUPP = 524
EPERM = _errno.EPERM
ENOENT = _errno.ENOENT
EEXIST = _errno.EEXIST


class VerifierError(Exception):
    def __init__(self, message: str, errno: int = EACCES, lines: tuple[str, ...] = (),
                 insn: int | None = None, post: tuple[str, ...] = (), newline: bool = True):
        # what Exception.__init__(self, message) does, without the super() look-up: a
        # rejection is raised once per refused program, and its cost is all cold
        self.args = (message,)
        self.message = message
        # a few kernel messages lack their '\n' and run into the statistics line
        self.newline = newline
        self.errno = errno
        self.lines = lines if lines.__class__ is tuple else tuple(lines)
        self.insn = insn
        # lines the kernel prints after the verdict line
        self.post = post if post.__class__ is tuple else tuple(post)


def reject(message: str, errno: int = EACCES, *pre: str) -> VerifierError:
    """Build (for ``raise``) a rejection with optional preceding log lines."""
    return VerifierError(message, errno, pre)
