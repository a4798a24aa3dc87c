"""The KPI report as files: one self-contained HTML page and a CSV (the brief's ``generateReport``).

The HTML needs nothing beside itself — no scripts, fonts or links: styles are inline and each
KPI's chart is an SVG line chart drawn here and embedded as a ``data:`` image, so the file
can be mailed or archived and still opens the same. Every text from the store (names,
descriptions, units) is escaped. No Qt: ``lookout report`` writes it without a display.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
import re
from datetime import UTC, datetime

from console.core.analysis.product.kpi import (
    KpiReport,
    KpiReportRow,
    KpiValue,
    chart_line,
    format_change,
    format_kpi_value,
    parse_duration_s,
)

__all__ = ["LEVEL_COLOURS", "chart_svg", "parse_moment", "report_csv", "report_html"]

#: Card and line colours: ok / warning / critical, and what a KPI without thresholds gets.
LEVEL_COLOURS = {"ok": "#188038", "warning": "#e37400", "critical": "#d93025", None: "#1a73e8"}
_STATUS_COLOURS = {"on target": "#188038", "below target": "#e37400", "above target": "#e37400"}
_GREY = "#5f6368"
_CSV_COLUMNS = ("name", "value", "unit", "target", "status", "level", "previous", "change_percent", "range")
# What XML 1.0 forbids: one such character in a KPI's name and the browser shows the chart as
# a broken image (HTML itself tolerates them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #202124;
       margin: 32px; background: #f8f9fa; }
h1 { font-size: 22px; margin: 0 0 4px; }
.range { color: #5f6368; margin: 0 0 16px; }
.summary { font-size: 18px; font-weight: 600; margin: 0 0 24px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 16px; }
.card { background: #fff; border-radius: 8px; border-left: 6px solid #1a73e8; padding: 14px 16px;
        box-shadow: 0 1px 2px rgba(60,64,67,.3); }
.card h2 { font-size: 16px; margin: 0 0 6px; }
.value { font-size: 28px; font-weight: 600; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px;
          margin-left: 8px; vertical-align: middle; }
.meta { color: #5f6368; margin: 4px 0; }
.card img { width: 100%; height: auto; margin-top: 8px; }
.empty { color: #5f6368; }
"""


def parse_moment(text: str, *, now_ms: int) -> int:
    """A report's end or start in ms: ``now``, a span back from now (``24h``, ``7d``, ``30m``)
    or an ISO 8601 date or time (``2026-03-01``, ``2026-03-01T12:00``; UTC unless it says
    otherwise). ValueError with the reason."""
    text = text.strip()
    if text.lower() == "now":
        return now_ms
    if re.fullmatch(r"\d+(\.\d+)?\s*[smhdw]", text):
        return now_ms - parse_duration_s(text, "range") * 1000
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a time (2026-03-01, 2026-03-01T12:00Z) nor a span back from now (24h, 7d)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _range_text(report: KpiReport) -> str:
    return f"{_when(report.start_ms)} – {_when(report.end_ms)} UTC"


def _status_colour(found: KpiValue) -> str:
    """Green on target; off target, the level's colour when it is warning or critical, else amber."""
    if found.status in ("below target", "above target") and found.level in ("warning", "critical"):
        return LEVEL_COLOURS[found.level]
    return _STATUS_COLOURS.get(found.status, _GREY)


def _colour(found: KpiValue) -> str:
    """The card's and the line's: the level's, else the status's."""
    return LEVEL_COLOURS[found.level] if found.level is not None else _status_colour(found)


def _target_text(found: KpiValue) -> str:
    kpi = found.kpi
    if kpi.target is None:
        return "no target"
    sign = "≥" if kpi.higher_is_better else "≤"
    return f"target {sign} {format_kpi_value(kpi.target, kpi.unit)}"


def _span_text(ms: int) -> str:
    for size, unit in ((86_400_000, "d"), (3_600_000, "h"), (60_000, "min")):
        if ms >= size and ms % size == 0:
            return f"{ms // size} {unit}"
    return f"{ms / 1000:g} s"


def _points(row: KpiReportRow, end_ms: int) -> tuple[list[tuple[float, float]], str, bool]:
    """The points to draw (time, value; NaN for a gap), the chart's caption and whether the
    target belongs on it. A count or a sum is drawn as its running total, which ends at the
    card's value, so the target line is the goal it climbs to; unique users per bucket do not
    add up to the range's, so their chart has no target line; rates, percentiles and error
    rates are compared with the target bucket by bucket."""
    kpi = row.value.kpi
    bucket = int(row.starts[1] - row.starts[0]) if len(row.starts) > 1 else end_ms - int(row.starts[0])
    per = f"per {_span_text(bucket)}"
    drawn, with_target = chart_line(kpi, row.values)
    if kpi.formula in ("count", "sum"):
        ends = [min(float(at) + bucket, end_ms) for at in row.starts.tolist()]
        points = [(float(row.starts[0]), 0.0), *zip(ends, drawn.tolist(), strict=True)] if len(ends) else []
        return points, "running total", with_target
    middles = [float(at) + bucket / 2 for at in row.starts.tolist()]
    return list(zip(middles, drawn.tolist(), strict=True)), per, with_target


def _svg_text(text: str) -> str:
    """``text`` for an SVG: escaped, and without the characters XML refuses."""
    return html.escape(_NOT_XML.sub("", text))


def chart_svg(row: KpiReportRow, *, start_ms: int, end_ms: int, width: int = 560, height: int = 170) -> str:
    """An SVG line chart of a KPI over ``[start_ms, end_ms)`` (see :func:`_points`), its
    target a dashed line, the value axis labelled at its ends and the time axis at the range's."""
    kpi, colour = row.value.kpi, _colour(row.value)
    left, right, top, bottom = 64, 12, 22, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    points, caption, with_target = _points(row, end_ms)
    target = kpi.target if with_target else None
    measured = any(math.isfinite(v) for _, v in points) and row.value.value is not None
    shown = [v for _, v in points if math.isfinite(v)] + ([target] if target is not None else [])
    low = min([0.0, *shown])
    high = max([low, *shown])
    high = high + (high - low) * 0.1 if high > low else low + 1.0
    span = max(1, end_ms - start_ms)

    def x(ms: float) -> float:
        return left + (ms - start_ms) / span * plot_w

    def y(value: float) -> float:
        return top + (high - value) / (high - low) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' font-family="system-ui, sans-serif" font-size="11">',
        f'<title>{_svg_text(kpi.name)}</title>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#dadce0"/>',
        f'<text x="{left}" y="{top - 7}" fill="{_GREY}">{_svg_text(caption)}</text>',
    ]
    for value, anchor_y in ((high, top + 4), (low, top + plot_h)):
        parts.append(f'<text x="{left - 6}" y="{anchor_y:.1f}" text-anchor="end" fill="{_GREY}">'
                     f'{_svg_text(format_kpi_value(value, kpi.unit))}</text>')
    parts.append(f'<text x="{left}" y="{height - 8}" fill="{_GREY}">{_svg_text(_when(start_ms))}</text>')
    parts.append(f'<text x="{width - right}" y="{height - 8}" text-anchor="end" fill="{_GREY}">'
                 f'{_svg_text(_when(end_ms))}</text>')
    if target is not None:
        ty = y(target)
        parts.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" stroke="{_GREY}"'
                     ' stroke-width="1.5" stroke-dasharray="6 4"/>')
        parts.append(f'<text x="{left + plot_w - 4}" y="{ty - 4:.1f}" text-anchor="end" fill="{_GREY}">'
                     f'{_svg_text(_target_text(row.value))}</text>')
    # One polyline per run of measured points: a gap stays a gap.
    runs: list[list[str]] = [[]]
    for at, value in points if measured else []:
        if math.isfinite(value):
            runs[-1].append(f"{x(at):.1f},{y(value):.1f}")
        elif runs[-1]:
            runs.append([])
    for run in runs:
        if len(run) == 1:
            cx, cy = run[0].split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>')
        elif run:
            parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2"/>')
    if not measured:
        parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle"'
                     f' fill="{_GREY}">no data in this range</text>')
    parts.append("</svg>")
    return "".join(parts)


def _card(row: KpiReportRow, report: KpiReport) -> str:
    found, kpi = row.value, row.value.kpi
    colour = _colour(found)
    svg = chart_svg(row, start_ms=report.start_ms, end_ms=report.end_ms)
    image = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    change = format_change(found.change)
    previous = format_kpi_value(found.previous, kpi.unit)
    level = f" · level {found.level}" if found.level else ""
    lines = [
        f'<section class="card" style="border-left-color: {colour}">',
        f"<h2>{html.escape(kpi.name)}</h2>",
        f'<div><span class="value">{html.escape(format_kpi_value(found.value, kpi.unit))}</span>'
        f'<span class="status" style="background: {_status_colour(found)}">{html.escape(found.status)}</span></div>',
        f'<p class="meta">{html.escape(_target_text(found))}{html.escape(level)}</p>',
        f'<p class="meta">{html.escape(change)} vs the previous period ({html.escape(previous)})</p>',
    ]
    if kpi.description:
        lines.append(f"<p>{html.escape(kpi.description)}</p>")
    lines.append(f'<p class="meta">{html.escape(kpi.calculation_label())}</p>')
    alt = f"{kpi.name} over the range"
    lines.append(f'<img src="data:image/svg+xml;base64,{image}" alt="{html.escape(alt)}">')
    lines.append("</section>")
    return "\n".join(lines)


def report_html(report: KpiReport, *, title: str = "Lookout KPI report") -> str:
    """The report as one HTML page that needs no other file."""
    cards = "\n".join(_card(row, report) for row in report.rows)
    body = cards if report.rows else '<p class="empty">No KPIs are defined in this store.</p>'
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{html.escape(title)} — {html.escape(_range_text(report))}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="range">{html.escape(_range_text(report))} · generated {html.escape(_when(report.generated_ms))}'
        " UTC</p>",
        f'<p class="summary">{html.escape(report.summary())}</p>',
        f'<div class="cards">\n{body}\n</div>',
        "</body>",
        "</html>",
        "",
    ])


def _number(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else format(value, ".12g")


def _cell_text(text: str) -> str:
    """Text a spreadsheet shows as text: a name an app sent such as ``=HYPERLINK(...)``
    would otherwise run as a formula when the CSV is opened (OWASP's CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(report: KpiReport) -> str:
    """One row per KPI: name, value, unit, target, status, level, previous, the change in per
    cent and the range (an ISO 8601 interval, UTC)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for row in report.rows:
        found, kpi = row.value, row.value.kpi
        writer.writerow([
            _cell_text(kpi.name), _number(found.value), _cell_text(kpi.unit), _number(kpi.target), found.status,
            found.level or "",
            _number(found.previous), _number(found.change), report.range_text(),
        ])
    return out.getvalue()
