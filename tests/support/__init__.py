"""Test-only helpers that are no part of the product (it used to live in isa/).

- :mod:`support.forms` — every instruction form of the ISA table and canonical instances.

Test files import these with ``tests/`` on ``sys.path`` (appended, so that the test folders
``tests/isa``, ``tests/btf``, ... never shadow the project's packages), as for :mod:`oracles`.
"""
