"""Seeds for randomized tests: the same programs on every machine, another set on demand.

Every randomized test draws from ``random.Random(seed(DEFAULT))``. Without the environment
variable ``STACKARGS_TEST_SEED`` the seed is ``DEFAULT``, so each machine generates the same
programs; with it (any integer) every test gets a different but reproducible seed, so a
second CI pass can explore other programs. Failure messages quote the seed in use.
"""

from __future__ import annotations

import os
import random

ENV = "STACKARGS_TEST_SEED"


def seed(default: int) -> int:
    extra = os.environ.get(ENV, "").strip()
    if not extra:
        return default
    return (default * 1_000_003 + int(extra, 0)) & 0xFFFF_FFFF_FFFF


def rng(default: int) -> tuple[random.Random, str]:
    """A generator and the text that names it in a failure message."""
    s = seed(default)
    return random.Random(s), f"seed {s} ({ENV}={os.environ.get(ENV, '') or 'unset'})"
