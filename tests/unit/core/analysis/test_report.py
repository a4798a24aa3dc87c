"""The KPI report files: the HTML opens on its own and holds every KPI, its chart embedded;
the CSV parses and has a row per KPI."""

from __future__ import annotations

import base64
import csv
import io
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest

from console.core.analysis.product.kpi import KpiDefinition, KpiReport, KpiReportRow, judge
from console.core.analysis.product.refs import EventRef
from console.core.analysis.product.report import parse_moment, report_csv, report_html

START = 1_800_000_000_000
HOUR = 3_600_000
SVG = "{http://www.w3.org/2000/svg}"


class Page(HTMLParser):
    """What a browser would load: the tags, every external reference, the text."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.external: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if tag == "img":
            self.images.append(found["src"] or "")
        for key in ("href", "src"):
            if found.get(key) and not (found[key] or "").startswith("data:"):
                self.external.append(found[key] or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _report() -> KpiReport:
    starts = START + HOUR * np.arange(4, dtype=np.int64)
    conversion = KpiDefinition(name="Checkout <conversion>", description="Carts & purchases", formula="rate",
                               ref=EventRef("conversion", "purchase"), denominator=EventRef("page_view"), unit="%",
                               target=3.5, warning=3.0, critical=2.0)
    lcp = KpiDefinition(name="LCP p75", formula="percentile", ref=EventRef("page_load"), field="lcp",
                        quantile=0.75, unit="ms", target=2500, higher_is_better=False)
    views = KpiDefinition(name="Views", ref=EventRef("page_view"))
    rows = (
        KpiReportRow(judge(conversion, 3.2, 4.0), starts, np.array([3.0, np.nan, 3.5, 3.1])),
        KpiReportRow(judge(lcp, 2140.0, 2300.0), starts, np.array([2000.0, 2200.0, 2100.0, 2260.0])),
        KpiReportRow(judge(views, None, None), starts, np.full(4, np.nan)),
    )
    return KpiReport(start_ms=START, end_ms=START + 4 * HOUR, bucket_ms=HOUR, rows=rows, generated_ms=START)


def test_the_html_opens_alone_and_holds_every_kpi_with_its_chart() -> None:
    page = Page()
    page.feed(report_html(_report()))
    page.close()
    text = " ".join(" ".join(page.text).split())
    assert "script" not in page.tags and page.external == []
    assert "1 of 3 KPIs on target" in text
    assert "2027-01-15 08:00 – 2027-01-15 12:00 UTC" in text
    for shown in ("Checkout <conversion>", "3.20 %", "below target", "target ≥ 3.50 %", "level ok",
                  "−20.0 % vs the previous period (4 %)", "Carts & purchases",
                  "LCP p75", "2,140 ms", "on target", "target ≤ 2,500 ms", "−7.0 %",
                  "Views", "—", "no data", "no target"):
        assert shown in text, shown
    assert len(page.images) == 3
    charts = [ET.fromstring(base64.b64decode(src.removeprefix("data:image/svg+xml;base64,"))) for src in page.images]
    assert all(src.startswith("data:image/svg+xml;base64,") for src in page.images)
    conversion, lcp, views = charts
    assert conversion.findtext(f"{SVG}title") == "Checkout <conversion>"
    # The gap splits the line: one point, then a line through the last two buckets.
    assert len(conversion.findall(f"{SVG}circle")) == 1 and len(conversion.findall(f"{SVG}polyline")) == 1
    assert [len(p.get("points", "").split()) for p in lcp.findall(f"{SVG}polyline")] == [4]
    dashed = [line for line in conversion.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 1  # the target
    assert "no data in this range" in "".join(views.itertext()) and not views.findall(f"{SVG}polyline")


def test_names_are_escaped_not_markup() -> None:
    page = report_html(_report())
    assert "Checkout &lt;conversion&gt;" in page and "<conversion>" not in page
    assert "Carts &amp; purchases" in page


def test_a_chart_stays_an_image_whatever_the_name_holds() -> None:
    # A KPI an app defined: a control character in its name or unit must not make the
    # chart invalid XML (a browser then shows a broken image), nor a script get in.
    odd = KpiDefinition(name="Paid\x1b[31m <script>alert(1)</script>", ref=EventRef("error"), unit="\x01ms",
                        target=2.0)
    starts = START + HOUR * np.arange(3, dtype=np.int64)
    row = KpiReportRow(judge(odd, 1.0, None), starts, np.array([np.nan, 1.0, np.nan]))
    page = Page()
    page.feed(report_html(KpiReport(START, START + 3 * HOUR, HOUR, (row,), START)))
    assert "script" not in page.tags
    (src,) = page.images
    chart = ET.fromstring(base64.b64decode(src.removeprefix("data:image/svg+xml;base64,")))
    assert chart.findtext(f"{SVG}title") == "Paid[31m <script>alert(1)</script>"
    assert not list(chart.iter(f"{SVG}script"))


def test_an_empty_report_says_so() -> None:
    empty = KpiReport(start_ms=START, end_ms=START + HOUR, bucket_ms=HOUR, rows=(), generated_ms=START)
    assert "No KPIs are defined in this store." in report_html(empty)
    assert report_csv(empty) == "name,value,unit,target,status,level,previous,change_percent,range\n"


def test_the_csv_has_a_row_per_kpi() -> None:
    rows = list(csv.DictReader(io.StringIO(report_csv(_report()))))
    assert [(r["name"], r["value"], r["unit"], r["target"], r["status"], r["level"], r["previous"]) for r in rows] == [
        ("Checkout <conversion>", "3.2", "%", "3.5", "below target", "ok", "4"),
        ("LCP p75", "2140", "ms", "2500", "on target", "", "2300"),
        ("Views", "", "", "", "no data", "", ""),
    ]
    assert float(rows[0]["change_percent"]) == pytest.approx(-20.0)
    assert {r["range"] for r in rows} == {"2027-01-15T08:00Z/2027-01-15T12:00Z"}


def test_report_times() -> None:
    now = START
    assert parse_moment("now", now_ms=now) == now
    assert parse_moment("24h", now_ms=now) == now - 24 * HOUR
    assert parse_moment("7d", now_ms=now) == now - 7 * 24 * HOUR
    assert parse_moment("2027-01-15", now_ms=now) == START - 8 * HOUR
    assert parse_moment("2027-01-15T16:00+08:00", now_ms=now) == START
    with pytest.raises(ValueError, match="neither a time"):
        parse_moment("yesterday", now_ms=now)


def test_cards_take_the_colour_of_their_level_and_badges_of_their_status() -> None:
    report = _report()
    sections = report_html(report).split('<section class="card"')[1:]
    # Conversion 3.2 %: below its 3.5 % target but above the warning (3.0): an ok card, an amber badge.
    assert 'border-left-color: #188038' in sections[0] and 'class="status" style="background: #e37400"' in sections[0]
    # LCP on target, no thresholds: green; no data: grey.
    assert 'border-left-color: #188038' in sections[1] and 'border-left-color: #5f6368' in sections[2]
    kpi = report.rows[0].value.kpi
    critical = KpiReport(start_ms=START, end_ms=START + 4 * HOUR, bucket_ms=HOUR, generated_ms=START,
                         rows=(KpiReportRow(judge(kpi, 1.5, 3.0), report.rows[0].starts, report.rows[0].values),))
    page = report_html(critical)
    assert 'border-left-color: #d93025' in page and 'class="status" style="background: #d93025"' in page
    assert "level critical" in page


def _chart(report: KpiReport) -> ET.Element:
    page = Page()
    page.feed(report_html(report))
    [src] = page.images
    return ET.fromstring(base64.b64decode(src.removeprefix("data:image/svg+xml;base64,")))


def test_counts_are_drawn_as_running_totals_toward_the_target_and_users_per_bucket() -> None:
    starts = START + HOUR * np.arange(3, dtype=np.int64)
    views = KpiDefinition(name="Views", ref=EventRef("page_view"), target=10)
    report = KpiReport(start_ms=START, end_ms=START + 3 * HOUR, bucket_ms=HOUR, generated_ms=START,
                       rows=(KpiReportRow(judge(views, 6.0, None), starts, np.array([1.0, 2.0, 3.0])),))
    chart = _chart(report)
    [line] = chart.findall(f"{SVG}polyline")
    points = [tuple(map(float, p.split(","))) for p in line.get("points", "").split()]
    # From 0 at the start to 1, 3 and 6 at each hour's end; 10 (the target, + 10 %) tops the axis.
    assert len(points) == 4 and points[0][0] == 64.0 and points[-1][0] == 560 - 12
    top, height = 22, 170 - 22 - 26
    assert [round(y, 1) for _, y in points] == [round(top + (11 - v) / 11 * height, 1) for v in (0, 1, 3, 6)]
    assert "running total" in "".join(chart.itertext())
    assert len([x for x in chart.iter(f"{SVG}line") if x.get("stroke-dasharray")]) == 1
    users = KpiDefinition(name="Users", formula="unique_users", ref=EventRef("page_view"), target=10)
    report = KpiReport(start_ms=START, end_ms=START + 3 * HOUR, bucket_ms=HOUR, generated_ms=START,
                       rows=(KpiReportRow(judge(users, 4.0, None), starts, np.array([2.0, 3.0, 1.0])),))
    chart = _chart(report)
    assert "per 1 h" in "".join(chart.itertext())
    assert not [x for x in chart.iter(f"{SVG}line") if x.get("stroke-dasharray")]  # 10 users a range, not an hour


def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv() -> None:
    bad = KpiDefinition(name='=HYPERLINK("http://evil.example","click")', ref=EventRef("page_view"), unit="@u")
    report = KpiReport(start_ms=START, end_ms=START + HOUR, bucket_ms=HOUR, generated_ms=START,
                       rows=(KpiReportRow(judge(bad, 3.0, None), START + np.zeros(1, dtype=np.int64), np.ones(1)),))
    (row,) = csv.DictReader(io.StringIO(report_csv(report)))
    assert row["name"] == "'" + bad.name and row["unit"] == "'@u" and row["value"] == "3"
