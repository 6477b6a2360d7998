"""A closed stdout pipe (`stackargs ... | head`) is not an error and never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("argv", [["verify", "{obj}", "--json"], ["disasm", "{obj}"], ["btf", "{obj}"]])
def test_closed_pipe(argv, hello_obj):
    argv = [a.format(obj=hello_obj) for a in argv]
    # the reader exits at once, long before the writer has imported anything: its writes meet EPIPE
    proc = subprocess.run(f"{sys.executable} -m pipeline {' '.join(argv)} | true; "
                          f"echo ${{PIPESTATUS[0]}}", shell=True, executable="/bin/bash", cwd=ROOT,
                          capture_output=True, text=True)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.strip() == "0"
