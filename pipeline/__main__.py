"""Entry point for ``python -m pipeline``."""

import sys

from . import codecache

codecache.install()     # before the imports that define dataclasses

from .cli import main  # noqa: E402

sys.exit(main())
