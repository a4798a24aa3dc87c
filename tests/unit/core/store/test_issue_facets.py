"""The filter values of the error inbox: projects, and releases and environments newest first."""

from __future__ import annotations

from pathlib import Path

from console.core.store.issue_facets import issue_facets
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import events_of
from tests.unit.core.store.issue_support import NOW, js_error


def test_facets_list_what_errors_came_from(store_path: Path) -> None:
    writer = StoreWriter(path=store_path)
    writer.start()
    writer.write(events_of([js_error(context={"appVersion": "2.3.0", "environment": "staging"}, ts=NOW - 120_000)]))
    writer.write(events_of([js_error(function="pay", context={"appVersion": "2.4.0", "environment": "production"})],
                           project="web"))
    writer.write(events_of([js_error(function="scan")], project="web"))
    writer.stop()
    conn = connect(store_path, readonly=True)
    facets = issue_facets(conn)
    conn.close()
    assert facets.projects == ("shop", "web")
    assert facets.releases == ("2.4.0", "2.3.0")
    assert facets.environments == ("production", "staging")
