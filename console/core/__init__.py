"""Lookout's Qt-free core: events, the store, decoders and analysis."""
