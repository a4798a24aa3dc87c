"""The one exception tree of Lookout, so callers can tell bad input from a bad environment."""

from __future__ import annotations

__all__ = ["IngestError", "LookoutError", "StoreError", "StoreUnavailable"]


class LookoutError(Exception):
    """Base of every error Lookout raises on purpose."""


class IngestError(LookoutError):
    """A payload from outside could not be decoded.

    ``code`` is the machine-readable reason the collector returns in ``{"error": code}``;
    ``status`` is the HTTP status that goes with it.
    """

    def __init__(self, code: str, detail: str, *, status: int = 400) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.status = status


class StoreError(LookoutError):
    """The store could not do what was asked (the environment's fault: disk, lock, corruption)."""


class StoreUnavailable(StoreError):
    """The writer is saturated or stopped; the caller should retry later."""
