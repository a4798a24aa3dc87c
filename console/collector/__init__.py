"""Lookout's HTTP collector: receives telemetry, decodes it and hands it to the store writer.

It runs in its own process (``lookout collect``) with no Qt, so it keeps accepting events
whether or not a window is open.
"""
