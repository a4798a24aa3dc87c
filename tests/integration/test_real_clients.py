"""The real clients, unchanged, against a collector on a port: sentry-sdk and OpenTelemetry.

Each client runs in its own process (both SDKs install process-wide state), is pointed at
the collector the way the README tells a user to, and flushes; the test then reads what the
store holds with ``lookout export``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.integration.support import RunningCollector, export_rows, isolated_env

pytestmark = pytest.mark.slow


def run_client(script: str, tmp_path: Path, **values: object) -> str:
    """Run ``script`` (formatted with ``values``) in a fresh interpreter; return its output."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script).format(**values)],
        capture_output=True,
        timeout=120,
        env=isolated_env(tmp_path / "client-home"),
        check=False,
    )
    output = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 0, output
    return output


SENTRY_APP = """
    import logging
    import sentry_sdk
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        {init},
        release="shop@1.4.2",
        environment="testing",
        traces_sample_rate=1.0,
        enable_logs=True,
        integrations=[LoggingIntegration(event_level=None)],
    )
    sentry_sdk.set_user({{"id": "u-77"}})
    sentry_sdk.set_tag("session_id", "s-77")

    def sum_cart(cart):
        return sum(item["price"] for item in cart)

    def checkout(cart):
        try:
            return sum_cart(cart)
        except KeyError as exc:
            raise ValueError("cart is broken") from exc

    sentry_sdk.add_breadcrumb(category="navigation", message="pages/cart/cart")
    sentry_sdk.add_breadcrumb(category="ui.click", message="button#checkout")
    sentry_sdk.add_breadcrumb(category="http", data={{"url": "/api/cart", "status_code": 200}})
    try:
        checkout([{{"sku": 1}}])
    except ValueError:
        sentry_sdk.capture_exception()
    sentry_sdk.capture_message("checkout slower than 3 s", level="warning")
    with sentry_sdk.start_transaction(op="task", name="nightly-report"):
        with sentry_sdk.start_span(op="db.query", name="SELECT orders"):
            pass
        with sentry_sdk.start_span(op="http.client", name="GET /api/rates"):
            pass
    sentry_sdk.logger.info("report built for {{count}} orders", count=12)
    sentry_sdk.logger.error("rates service unreachable")
    sentry_sdk.flush(10)
    {after}
    print("sent")
"""


def test_sentry_sdk_with_a_dsn_is_stored_whole(collector: RunningCollector, tmp_path: Path) -> None:
    run_client(SENTRY_APP, tmp_path, init=f'dsn="http://public@127.0.0.1:{collector.port}/1"', after="")

    errors = {row["error_type"]: row for row in export_rows(collector.db, "errors")}
    assert set(errors) == {"ValueError", "Message"}
    chained = errors["ValueError"]
    assert chained["project"] == "1"
    assert chained["message"] == "cart is broken"
    assert chained["level"] == "error"
    assert chained["release"] == "shop@1.4.2" and chained["environment"] == "testing"
    assert chained["user_id"] == "u-77" and chained["session_id"] == "s-77"
    assert "checkout" in chained["culprit"]
    data = chained["data"]
    assert [v["type"] for v in data["exception"]["values"]] == ["KeyError", "ValueError"]
    assert [b.get("category") for b in data["breadcrumbs"]][-3:] == ["navigation", "ui.click", "http"]
    assert errors["Message"]["message"] == "checkout slower than 3 s"
    assert errors["Message"]["level"] == "warning"

    issues = export_rows(collector.db, "issues")
    assert sorted(i["event_count"] for i in issues) == [1, 1]

    (transaction,) = export_rows(collector.db, "transactions")
    assert transaction["name"] == "nightly-report" and transaction["op"] == "task"
    assert transaction["span_count"] == 2 and transaction["trace_id"]
    spans = export_rows(collector.db, "spans")
    assert sorted(s["op"] for s in spans) == ["db.query", "http.client"]
    assert {s["trace_id"] for s in spans} == {transaction["trace_id"]}

    logs = {row["message"]: row for row in export_rows(collector.db, "logs")}
    assert logs["report built for 12 orders"]["level"] == "info"
    assert logs["rates service unreachable"]["level"] == "error"


def test_sentry_sdk_with_spotlight_true_sends_to_stream(collector: RunningCollector, tmp_path: Path) -> None:
    # Without a DSN the SDK's flush() skips its log batcher (it flushes only with a transport):
    # the logs go out on the batcher's own 5-second timer, so the app lives that long.
    run_client(
        SENTRY_APP, tmp_path, init=f'spotlight="http://127.0.0.1:{collector.port}/stream"',
        after="import time; time.sleep(6)",
    )
    errors = export_rows(collector.db, "errors")
    assert {row["error_type"] for row in errors} == {"ValueError", "Message"}
    assert {row["project"] for row in errors} == {"spotlight"}
    assert len(export_rows(collector.db, "logs")) == 2
    (transaction,) = export_rows(collector.db, "transactions")
    assert transaction["project"] == "spotlight" and transaction["span_count"] == 2


OTEL_APP = """
    import logging
    from opentelemetry import trace, metrics
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    base = "http://127.0.0.1:{port}"
    resource = Resource.create({{"service.name": "shop-api", "service.version": "2.0.1"}})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=base + "/v1/traces")))
    trace.set_tracer_provider(tracer_provider)
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=base + "/v1/logs")))
    set_logger_provider(logger_provider)
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=base + "/v1/metrics"), export_interval_millis=60000)
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    metrics.set_meter_provider(meter_provider)

    log = logging.getLogger("shop.orders")
    log.addHandler(LoggingHandler(logger_provider=logger_provider))
    log.setLevel(logging.INFO)
    orders = metrics.get_meter("shop").create_counter("orders.placed", unit="1")

    tracer = trace.get_tracer("shop")
    with tracer.start_as_current_span("POST /api/orders", kind=trace.SpanKind.SERVER):
        with tracer.start_as_current_span("SELECT stock"):
            log.info("stock checked for order 81")
        with tracer.start_as_current_span("charge-card") as span:
            try:
                raise ValueError("card declined")
            except ValueError as exc:
                span.record_exception(exc)
                log.warning("payment retried")
        orders.add(3)
    tracer_provider.shutdown()
    logger_provider.shutdown()
    meter_provider.shutdown()
    print("sent")
"""


def test_opentelemetry_exporters_send_traces_logs_and_metrics(collector: RunningCollector, tmp_path: Path) -> None:
    output = run_client(OTEL_APP, tmp_path, port=collector.port)
    assert "Failed to export" not in output, output

    (transaction,) = export_rows(collector.db, "transactions")
    assert transaction["name"] == "POST /api/orders"
    assert transaction["project"] == "shop-api" and transaction["release"] == "2.0.1"
    assert transaction["span_count"] == 2
    spans = export_rows(collector.db, "spans")
    assert sorted(s["name"] for s in spans) == ["SELECT stock", "charge-card"]
    assert {s["trace_id"] for s in spans} == {transaction["trace_id"]}

    (error,) = export_rows(collector.db, "errors")
    assert error["error_type"] == "ValueError" and error["message"] == "card declined"
    assert error["trace_id"] == transaction["trace_id"]

    logs = {row["message"]: row for row in export_rows(collector.db, "logs")}
    assert logs["stock checked for order 81"]["level"] == "info"
    assert logs["payment retried"]["level"] == "warning"
    assert logs["payment retried"]["source"] == "shop.orders"
    assert logs["payment retried"]["trace_id"] == transaction["trace_id"]

    points = [p for p in export_rows(collector.db, "metric-points") if p["name"] == "orders.placed"]
    assert points and points[-1]["value"] == 3 and points[-1]["type"] == "sum"
