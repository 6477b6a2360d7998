"""Helper names by id: a re-export of :mod:`isa.uapi`, their home (kept for existing importers)."""

from .uapi import HELPER_NAMES, MAX_HELPER_ID, helper_name

__all__ = ["HELPER_NAMES", "MAX_HELPER_ID", "helper_name"]
