"""jit stage (filled by a later issue; importable so the package layout is fixed)."""
