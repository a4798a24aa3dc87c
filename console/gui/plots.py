"""How every chart of the window starts: a pyqtgraph plot to read, not to explore.

White, no mouse panning or zooming, no auto-range button and no context menu; a time series
also clips to the view and downsamples by peaks, so a long range costs what fits in pixels.
"""

from __future__ import annotations

import pyqtgraph as pg

__all__ = ["still_plot"]


def still_plot(plot: pg.PlotWidget, *, time_series: bool = False) -> None:
    """Make ``plot`` a chart to read (see the module docstring)."""
    plot.setBackground("w")
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setMenuEnabled(False)
    if time_series:
        item = plot.getPlotItem()
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
