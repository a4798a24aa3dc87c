"""Lookout: a desktop monitoring console for mini programs and web front ends."""

__version__ = "0.1.0"
__all__ = ["__version__"]
