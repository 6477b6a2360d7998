"""Test-only helpers that are no part of the product (they used to live in isa/ and btf/).

- :mod:`support.forms` — every instruction form of the ISA table and canonical instances;
- :mod:`support.selftest_tags` — kernel-selftest ``comment:`` decl-tag annotations (bpf_misc.h);
- :mod:`support.btf_fixup` — the selftest loader's ``__btf_func_path`` parameter-name fix-up.

Test files import these with ``tests/`` on ``sys.path`` (appended, so that the test folders
``tests/isa``, ``tests/btf``, ... never shadow the project's packages), as for :mod:`oracles`.
"""
