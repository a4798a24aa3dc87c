"""The store's schema as numbered migrations, and the connection settings every user shares.

Each migration is a list of SQL statements applied in one transaction; ``PRAGMA
user_version`` records how far a file has come. A migration, once released, is never edited:
a change to the schema is a new migration at the end of :data:`MIGRATIONS`.

Every event gets a row in ``events`` (what the live stream and the counters read) and a row
keyed by the same ``event_id`` in its kind's table (what the panels filter and sort on). Ids
are handed out by the single writer in arrival order, so ``event_id`` order is arrival
order: retention and "what changed since" are range queries on the primary key.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from console.core.errors import StoreError

__all__ = [
    "CHILD_TABLES", "MIGRATIONS", "SESSION_BUCKET_BITS", "SCHEMA_VERSION", "connect", "migrate", "open_database",
    "version_mismatch",
]

#: Event ids per bucket of the session index, as a power of two.
SESSION_BUCKET_BITS = 12

_COMMON = """
    event_id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    project TEXT NOT NULL,
    session_id TEXT,
    user_id TEXT"""

MIGRATIONS: list[list[str]] = [
    # 1: every kind of the native protocol, issues, users, experiments.
    [
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            project TEXT NOT NULL,
            ts INTEGER NOT NULL,
            received INTEGER NOT NULL,
            session_id TEXT,
            user_id TEXT,
            summary TEXT NOT NULL
        )""",
        "CREATE INDEX events_kind ON events(kind, id)",
        "CREATE INDEX events_received ON events(received)",
        f"""CREATE TABLE transactions ({_COMMON},
            tx_id TEXT, name TEXT NOT NULL, route TEXT, duration_ms REAL, status TEXT,
            span_count INTEGER, data TEXT)""",
        "CREATE INDEX transactions_name ON transactions(name, ts)",
        """CREATE TABLE spans (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            project TEXT NOT NULL,
            span_id TEXT, parent_id TEXT, name TEXT, op TEXT,
            start_ms REAL, duration_ms REAL, status TEXT, data TEXT)""",
        "CREATE INDEX spans_event ON spans(event_id)",
        f"""CREATE TABLE page_loads ({_COMMON},
            route TEXT, release TEXT, platform TEXT,
            fcp REAL, lcp REAL, cls REAL, fid REAL, inp REAL, ttfb REAL,
            dom_content_loaded REAL, load_complete REAL, resource_load_time REAL,
            tti REAL, tbt REAL, data TEXT)""",
        "CREATE INDEX page_loads_route ON page_loads(route, ts)",
        f"""CREATE TABLE page_views ({_COMMON},
            view_id TEXT, route TEXT, title TEXT, referrer TEXT,
            platform TEXT, brand TEXT, model TEXT, system TEXT, client_version TEXT,
            sdk_version TEXT, screen_width INTEGER, screen_height INTEGER, data TEXT)""",
        "CREATE INDEX page_views_route ON page_views(route, ts)",
        f"""CREATE TABLE interactions ({_COMMON},
            action TEXT NOT NULL, element_tag TEXT, element_id TEXT, element_text TEXT,
            x REAL, y REAL, scroll_percentage REAL, data TEXT)""",
        f"""CREATE TABLE custom_events ({_COMMON},
            name TEXT NOT NULL, route TEXT, data TEXT)""",
        "CREATE INDEX custom_events_name ON custom_events(name, ts)",
        """CREATE TABLE issues (
            id INTEGER PRIMARY KEY,
            project TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            title TEXT NOT NULL,
            error_type TEXT,
            culprit TEXT,
            level TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'unresolved',
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            event_count INTEGER NOT NULL DEFAULT 0,
            user_count INTEGER NOT NULL DEFAULT 0,
            UNIQUE(project, fingerprint))""",
        "CREATE INDEX issues_last_seen ON issues(last_seen)",
        """CREATE TABLE issue_users (
            issue_id INTEGER NOT NULL,
            user_id TEXT NOT NULL,
            PRIMARY KEY (issue_id, user_id)) WITHOUT ROWID""",
        f"""CREATE TABLE errors ({_COMMON},
            issue_id INTEGER NOT NULL, fingerprint TEXT NOT NULL, error_id TEXT,
            error_type TEXT, message TEXT, level TEXT NOT NULL, culprit TEXT, route TEXT,
            release TEXT, environment TEXT, data TEXT)""",
        "CREATE INDEX errors_issue ON errors(issue_id, event_id)",
        f"""CREATE TABLE network_requests ({_COMMON},
            url TEXT NOT NULL, method TEXT, status INTEGER, duration_ms REAL,
            success INTEGER, error TEXT, data TEXT)""",
        f"""CREATE TABLE logs ({_COMMON},
            level TEXT NOT NULL, message TEXT NOT NULL, source TEXT, environment TEXT,
            data TEXT)""",
        f"""CREATE TABLE analytics_events ({_COMMON},
            name TEXT NOT NULL, client_event_id TEXT,
            conversion_type TEXT, value REAL, currency TEXT,
            funnel TEXT, step TEXT, step_index INTEGER, data TEXT)""",
        "CREATE INDEX analytics_events_name ON analytics_events(name, ts)",
        """CREATE TABLE users (
            project TEXT NOT NULL,
            user_id TEXT NOT NULL,
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            properties TEXT,
            PRIMARY KEY (project, user_id))""",
        f"""CREATE TABLE experiment_definitions ({_COMMON},
            experiment TEXT NOT NULL, name TEXT, data TEXT)""",
        """CREATE TABLE experiments (
            project TEXT NOT NULL,
            experiment TEXT NOT NULL,
            name TEXT,
            variants TEXT,
            goals TEXT,
            first_seen INTEGER NOT NULL,
            updated INTEGER NOT NULL,
            PRIMARY KEY (project, experiment))""",
        """CREATE TABLE experiment_assignments (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            project TEXT NOT NULL,
            experiment TEXT NOT NULL,
            variant TEXT NOT NULL,
            user_id TEXT,
            session_id TEXT)""",
        "CREATE INDEX experiment_assignments_exp ON experiment_assignments(experiment, ts)",
        "CREATE INDEX experiment_assignments_event ON experiment_assignments(event_id)",
        """CREATE TABLE experiment_goals (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            project TEXT NOT NULL,
            experiment TEXT NOT NULL,
            variant TEXT,
            goal TEXT NOT NULL,
            value REAL,
            user_id TEXT,
            session_id TEXT)""",
        "CREATE INDEX experiment_goals_exp ON experiment_goals(experiment, ts)",
        "CREATE INDEX experiment_goals_event ON experiment_goals(event_id)",
    ],
    # 2: project keys (for collectors bound beyond loopback) and the retention record.
    [
        """CREATE TABLE projects (
            name TEXT PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            created INTEGER NOT NULL)""",
        """CREATE TABLE retention_log (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            reason TEXT NOT NULL,
            up_to_event_id INTEGER NOT NULL,
            rows_dropped INTEGER NOT NULL,
            oldest_kept INTEGER)""",
    ],
    # 3: what Sentry and OTLP senders bring: traces across events, sessions of releases,
    # client reports, metric points, attachments and the raw bytes of what arrived; full-text
    # search over logs; the session index the timelines read.
    [
        "ALTER TABLE transactions ADD COLUMN trace_id TEXT",
        "ALTER TABLE transactions ADD COLUMN op TEXT",
        "ALTER TABLE transactions ADD COLUMN release TEXT",
        "ALTER TABLE transactions ADD COLUMN environment TEXT",
        "CREATE INDEX transactions_trace ON transactions(trace_id) WHERE trace_id IS NOT NULL",
        "ALTER TABLE spans ADD COLUMN trace_id TEXT",
        "CREATE INDEX spans_trace ON spans(trace_id) WHERE trace_id IS NOT NULL",
        "ALTER TABLE errors ADD COLUMN trace_id TEXT",
        "ALTER TABLE logs ADD COLUMN trace_id TEXT",
        "ALTER TABLE logs ADD COLUMN span_id TEXT",
        "CREATE INDEX logs_trace ON logs(trace_id) WHERE trace_id IS NOT NULL",
        # Which events belong to a session, for timelines. Keyed by a bucket of 4,096 ids
        # first, so a commit's entries land in the newest bucket's few pages; keyed by
        # session first, a commit dirtied a page per live session and cost a third of the
        # ingest rate (store/sessions.py reads it bucket by bucket).
        f"CREATE INDEX events_session ON events(id >> {SESSION_BUCKET_BITS}, session_id)"
        " WHERE session_id IS NOT NULL",
        # Spans that arrived without their root (OTLP exports spans as they end, children
        # before parents): a batch event per trace, its spans as child rows.
        f"""CREATE TABLE span_batches ({_COMMON},
            trace_id TEXT, span_count INTEGER, data TEXT)""",
        # Sentry release health: one row per session update or per aggregate bucket.
        f"""CREATE TABLE session_updates ({_COMMON},
            status TEXT, release TEXT, environment TEXT, errors INTEGER, quantity INTEGER,
            init INTEGER, duration_s REAL, data TEXT)""",
        "CREATE INDEX session_updates_release ON session_updates(release, ts)",
        # What SDKs report they dropped before sending (rate limits, queue overflow, ...).
        f"""CREATE TABLE client_reports ({_COMMON},
            discarded INTEGER, data TEXT)""",
        f"""CREATE TABLE metric_batches ({_COMMON},
            point_count INTEGER, series_count INTEGER, data TEXT)""",
        """CREATE TABLE metric_points (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            project TEXT NOT NULL,
            name TEXT NOT NULL, unit TEXT, type TEXT NOT NULL, service TEXT,
            value REAL, count INTEGER, sum REAL, attributes TEXT)""",
        "CREATE INDEX metric_points_name ON metric_points(name, ts)",
        "CREATE INDEX metric_points_event ON metric_points(event_id)",
        """CREATE TABLE attachments (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            project TEXT NOT NULL,
            filename TEXT NOT NULL, content_type TEXT, attachment_type TEXT,
            size INTEGER NOT NULL, truncated INTEGER NOT NULL, body BLOB)""",
        "CREATE INDEX attachments_event ON attachments(event_id)",
        # The bytes of the item an event came from, so the error view shows what arrived.
        """CREATE TABLE raw_payloads (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            project TEXT NOT NULL,
            format TEXT NOT NULL, size INTEGER NOT NULL, truncated INTEGER NOT NULL, body BLOB)""",
        "CREATE INDEX raw_payloads_event ON raw_payloads(event_id)",
        # Messages only: sources have their own exact filter, and each indexed column costs
        # the writer. Logs are paged newest-first by event_id, so no index on ts either. The
        # writer indexes each commit's logs in one statement (a per-row trigger costs more);
        # retention's deletes go through the trigger.
        """CREATE VIRTUAL TABLE logs_fts USING fts5(
            message, content='logs', content_rowid='event_id')""",
        "INSERT INTO logs_fts(rowid, message) SELECT event_id, message FROM logs",
        """CREATE TRIGGER logs_fts_delete AFTER DELETE ON logs BEGIN
            INSERT INTO logs_fts(logs_fts, rowid, message) VALUES ('delete', old.event_id, old.message);
        END""",
    ],
    # 4: the error inbox: ignoring until a count or a time, merged issues' fingerprints,
    # search over errors, releases and environments per issue, the hourly sparkline.
    [
        "ALTER TABLE issues ADD COLUMN ignore_until_count INTEGER",
        "ALTER TABLE issues ADD COLUMN ignore_until_ms INTEGER",
        # A merged issue's fingerprint, so its future errors join the issue it was merged into.
        """CREATE TABLE issue_aliases (
            project TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            issue_id INTEGER NOT NULL,
            PRIMARY KEY (project, fingerprint)) WITHOUT ROWID""",
        "CREATE INDEX issue_aliases_issue ON issue_aliases(issue_id)",
        # Which releases and environments an issue's errors came from ('' for none): the
        # list's release column and filters read this instead of every error of an issue.
        # The writer adds each commit's errors in one statement; totals survive retention
        # like the issue's own counts.
        """CREATE TABLE issue_releases (
            issue_id INTEGER NOT NULL,
            release TEXT NOT NULL,
            environment TEXT NOT NULL,
            event_count INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            PRIMARY KEY (issue_id, release, environment)) WITHOUT ROWID""",
        """INSERT INTO issue_releases
            SELECT issue_id, coalesce(release, ''), coalesce(environment, ''), count(*), max(ts)
            FROM errors WHERE true GROUP BY 1, 2, 3""",
        # Tag values joined by spaces, for search (Sentry sends tags as an object or pairs).
        "ALTER TABLE errors ADD COLUMN search_tags TEXT",
        """UPDATE errors SET search_tags = CASE json_type(data, '$.tags')
            WHEN 'object' THEN (SELECT group_concat(value, ' ') FROM json_each(errors.data, '$.tags')
                                WHERE type IN ('text', 'integer', 'real') AND value != '')
            WHEN 'array' THEN (SELECT group_concat(json_extract(value, '$[1]'), ' ')
                               FROM json_each(errors.data, '$.tags')
                               WHERE type = 'array' AND json_array_length(value) = 2
                                 AND json_type(value, '$[1]') IN ('text', 'integer', 'real')
                                 AND json_extract(value, '$[1]') != '')
            END
            WHERE json_valid(data) AND json_extract(data, '$._format') = 'sentry'""",
        # The sparkline counts an issue's errors per hour: (issue_id, ts) answers it from the
        # index alone. It replaces (issue_id, event_id): an issue's events are listed by time,
        # and both cost the writer the same (one entry per error, at the place).
        "DROP INDEX errors_issue",
        "CREATE INDEX errors_issue_ts ON errors(issue_id, ts)",
        # Search over what support types: message, type, culprit, user, session, tag values.
        # Like logs_fts, the writer indexes each commit's errors in one statement.
        """CREATE VIRTUAL TABLE errors_fts USING fts5(
            message, error_type, culprit, user_id, session_id, search_tags,
            content='errors', content_rowid='event_id')""",
        """INSERT INTO errors_fts(rowid, message, error_type, culprit, user_id, session_id, search_tags)
            SELECT event_id, message, error_type, culprit, user_id, session_id, search_tags FROM errors""",
        """CREATE TRIGGER errors_fts_delete AFTER DELETE ON errors BEGIN
            INSERT INTO errors_fts(errors_fts, rowid, message, error_type, culprit, user_id, session_id, search_tags)
            VALUES ('delete', old.event_id, old.message, old.error_type, old.culprit, old.user_id,
                    old.session_id, old.search_tags);
        END""",
        # Only when a searched column changes: a merge rewrites issue_id, and must not
        # re-index every error it moves.
        """CREATE TRIGGER errors_fts_update
            AFTER UPDATE OF message, error_type, culprit, user_id, session_id, search_tags ON errors BEGIN
            INSERT INTO errors_fts(errors_fts, rowid, message, error_type, culprit, user_id, session_id, search_tags)
            VALUES ('delete', old.event_id, old.message, old.error_type, old.culprit, old.user_id,
                    old.session_id, old.search_tags);
            INSERT INTO errors_fts(rowid, message, error_type, culprit, user_id, session_id, search_tags)
            VALUES (new.event_id, new.message, new.error_type, new.culprit, new.user_id,
                    new.session_id, new.search_tags);
        END""",
    ],
    # 5: what the Performance panel filters page loads and transactions on: project, release,
    # platform, device and environment on both tables.
    [
        "ALTER TABLE page_loads ADD COLUMN environment TEXT",
        "ALTER TABLE page_loads ADD COLUMN device TEXT",
        "ALTER TABLE transactions ADD COLUMN platform TEXT",
        "ALTER TABLE transactions ADD COLUMN device TEXT",
        "CREATE INDEX page_loads_ts ON page_loads(ts)",
        "CREATE INDEX transactions_ts ON transactions(ts)",
    ],
    # 6: alerts: rules (their definitions as JSON, so a new field needs no migration), each
    # rule's state between evaluations (a restart carries on without notifying again),
    # every transition, every delivery attempt, and markers such as "defaults inserted".
    [
        """CREATE TABLE alert_rules (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            definition TEXT NOT NULL,
            enabled INTEGER NOT NULL DEFAULT 1,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL)""",
        """CREATE TABLE alert_states (
            rule_id INTEGER PRIMARY KEY,
            definition TEXT NOT NULL,
            updated_ms INTEGER NOT NULL)""",
        """CREATE TABLE alert_events (
            id INTEGER PRIMARY KEY,
            rule_id INTEGER NOT NULL,
            rule_name TEXT NOT NULL,
            severity TEXT NOT NULL,
            ts INTEGER NOT NULL,
            from_state TEXT NOT NULL,
            to_state TEXT NOT NULL,
            value REAL,
            threshold REAL NOT NULL,
            detail TEXT NOT NULL,
            link TEXT,
            notified INTEGER NOT NULL,
            reason TEXT NOT NULL)""",
        "CREATE INDEX alert_events_rule ON alert_events(rule_id, id)",
        """CREATE TABLE alert_deliveries (
            id INTEGER PRIMARY KEY,
            alert_event_id INTEGER NOT NULL,
            channel TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            ok INTEGER NOT NULL,
            detail TEXT NOT NULL)""",
        "CREATE INDEX alert_deliveries_event ON alert_deliveries(alert_event_id)",
        """CREATE TABLE alert_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL)""",
        # Error counts over a window, every evaluation: without it each error rule scans
        # every error. One more entry per error costs the writer little (errors are a few
        # per cent of events).
        "CREATE INDEX errors_ts ON errors(ts)",
    ],
    # 7: product analytics. One row per session, kept by the writer as events arrive (the
    # sessions list reads it instead of grouping every event), filled here from what is
    # already stored; saved funnels, KPI definitions (the brief's defineKPI, from the app
    # or the window) and dashboards, each as JSON so a new field needs no migration; the
    # time indexes the events explorer and funnels read.
    [
        """CREATE TABLE sessions (
            project TEXT NOT NULL,
            session_id TEXT NOT NULL,
            user_id TEXT,
            started INTEGER NOT NULL,
            ended INTEGER NOT NULL,
            events INTEGER NOT NULL DEFAULT 0,
            page_views INTEGER NOT NULL DEFAULT 0,
            errors INTEGER NOT NULL DEFAULT 0,
            conversions INTEGER NOT NULL DEFAULT 0,
            conversion_value REAL NOT NULL DEFAULT 0,
            platform TEXT,
            device TEXT,
            release TEXT,
            entry_route TEXT,
            entry_ts INTEGER,
            exit_route TEXT,
            exit_ts INTEGER,
            PRIMARY KEY (project, session_id))""",
        "CREATE INDEX sessions_started ON sessions(started)",
        "CREATE INDEX sessions_user ON sessions(user_id, started) WHERE user_id IS NOT NULL",
        # What the writer's upkeep (console.core.store.session_upkeep) keeps, for events
        # that came in order: the latest user; the entry and exit page; the platform and
        # the device of the first page view that says, else of the first page load or
        # transaction; the release of the first error, page load or transaction.
        """INSERT INTO sessions (project, session_id, started, ended, events)
            SELECT project, session_id, min(ts), max(ts), count(*)
            FROM events WHERE session_id IS NOT NULL GROUP BY project, session_id""",
        # SQLite's bare columns: beside min(ts) or max(ts), the other columns are that row's.
        """UPDATE sessions SET user_id = v.user_id
            FROM (SELECT project, session_id, user_id, max(ts) FROM events
                  WHERE session_id IS NOT NULL AND user_id IS NOT NULL GROUP BY project, session_id) v
            WHERE sessions.project = v.project AND sessions.session_id = v.session_id""",
        """UPDATE sessions SET page_views = v.n, entry_route = v.route, entry_ts = v.ts
            FROM (SELECT project, session_id, count(*) AS n, route, min(ts) AS ts
                  FROM page_views WHERE session_id IS NOT NULL GROUP BY project, session_id) v
            WHERE sessions.project = v.project AND sessions.session_id = v.session_id""",
        """UPDATE sessions SET exit_route = v.route, exit_ts = v.ts
            FROM (SELECT project, session_id, route, max(ts) AS ts
                  FROM page_views WHERE session_id IS NOT NULL GROUP BY project, session_id) v
            WHERE sessions.project = v.project AND sessions.session_id = v.session_id""",
        """UPDATE sessions SET platform = v.platform
            FROM (SELECT project, session_id, platform, min(ts) FROM page_views
                  WHERE session_id IS NOT NULL AND platform IS NOT NULL GROUP BY project, session_id) v
            WHERE sessions.project = v.project AND sessions.session_id = v.session_id""",
        """UPDATE sessions SET device = v.device
            FROM (SELECT project, session_id, coalesce(model, brand) AS device, min(ts) FROM page_views
                  WHERE session_id IS NOT NULL AND coalesce(model, brand) IS NOT NULL
                  GROUP BY project, session_id) v
            WHERE sessions.project = v.project AND sessions.session_id = v.session_id""",
        """UPDATE sessions SET errors = v.n
            FROM (SELECT project, session_id, count(*) AS n
                  FROM errors WHERE session_id IS NOT NULL GROUP BY project, session_id) v
            WHERE sessions.project = v.project AND sessions.session_id = v.session_id""",
        """UPDATE sessions SET conversions = v.n, conversion_value = v.value
            FROM (SELECT project, session_id, count(*) AS n, coalesce(sum(value), 0) AS value
                  FROM analytics_events WHERE name = 'conversion' AND session_id IS NOT NULL
                  GROUP BY project, session_id) v
            WHERE sessions.project = v.project AND sessions.session_id = v.session_id""",
        # Event ids are arrival order: min(event_id) is the first to arrive.
        """UPDATE sessions SET release = v.release
            FROM (SELECT project, session_id, release, min(event_id) FROM (
                      SELECT project, session_id, release, event_id FROM errors
                      UNION ALL SELECT project, session_id, release, event_id FROM page_loads
                      UNION ALL SELECT project, session_id, release, event_id FROM transactions)
                  WHERE session_id IS NOT NULL AND release IS NOT NULL GROUP BY project, session_id) v
            WHERE sessions.project = v.project AND sessions.session_id = v.session_id""",
        """UPDATE sessions SET platform = v.platform
            FROM (SELECT project, session_id, platform, min(event_id) FROM (
                      SELECT project, session_id, platform, event_id FROM page_loads
                      UNION ALL SELECT project, session_id, platform, event_id FROM transactions)
                  WHERE session_id IS NOT NULL AND platform IS NOT NULL GROUP BY project, session_id) v
            WHERE sessions.project = v.project AND sessions.session_id = v.session_id
                AND sessions.platform IS NULL""",
        """UPDATE sessions SET device = v.device
            FROM (SELECT project, session_id, device, min(event_id) FROM (
                      SELECT project, session_id, device, event_id FROM page_loads
                      UNION ALL SELECT project, session_id, device, event_id FROM transactions)
                  WHERE session_id IS NOT NULL AND device IS NOT NULL GROUP BY project, session_id) v
            WHERE sessions.project = v.project AND sessions.session_id = v.session_id
                AND sessions.device IS NULL""",
        """CREATE TABLE funnels (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            definition TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL)""",
        f"""CREATE TABLE kpi_definitions ({_COMMON},
            name TEXT NOT NULL, data TEXT)""",
        """CREATE TABLE kpis (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            definition TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL)""",
        """CREATE TABLE dashboards (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            position INTEGER NOT NULL DEFAULT 0,
            definition TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL)""",
        """CREATE TABLE analytics_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL)""",
        "CREATE INDEX page_views_ts ON page_views(ts)",
        "CREATE INDEX interactions_action ON interactions(action, ts)",
        "CREATE INDEX analytics_events_funnel ON analytics_events(funnel, ts) WHERE funnel IS NOT NULL",
        "CREATE INDEX network_requests_ts ON network_requests(ts)",
    ],
]

#: Tables whose rows belong to an event of another table (``event_id``), written by the
#: writer from :attr:`Event.children` and dropped with their event by retention.
CHILD_TABLES = (
    "spans", "network_requests", "experiment_assignments", "experiment_goals",
    "metric_points", "attachments", "raw_payloads",
)

SCHEMA_VERSION = len(MIGRATIONS)


def version_mismatch(path: str | Path, version: int) -> str:
    """What a reader says of a store at another schema version, and what to do about it."""
    if version < SCHEMA_VERSION:
        return (f"{path} is at schema version {version}, from an older Lookout; this one reads {SCHEMA_VERSION}."
                f" Open it once in the window (lookout --db {path}) or run lookout collect --db {path}"
                " to upgrade it")
    return f"{path} is at schema version {version}, from a newer Lookout; this one reads {SCHEMA_VERSION}"


def connect(path: str | Path, *, readonly: bool = False, timeout: float = 10.0) -> sqlite3.Connection:
    """Open a connection with the settings every part of Lookout uses (WAL, NORMAL sync).

    Connections are in autocommit mode: whoever writes says ``BEGIN`` and ``COMMIT``
    itself, so a transaction spans exactly what it means to. Readers pass ``readonly=True``: they never take the write lock, so they never slow the
    writer, and a store nobody writes can still be opened from a read-only folder.
    """
    if readonly:
        uri = f"file:{Path(path).resolve()}?mode=ro"
        conn = sqlite3.connect(
            uri, uri=True, timeout=timeout, check_same_thread=False, isolation_level=None
        )
    else:
        conn = sqlite3.connect(
            str(path), timeout=timeout, check_same_thread=False, isolation_level=None
        )
        conn.execute("PRAGMA journal_mode=WAL")
        # Checkpoint every ~40 MB of WAL instead of 4 MB: the fsync of a checkpoint runs
        # inside some COMMIT, and fewer, larger ones cost the writer much less.
        conn.execute("PRAGMA wal_autocheckpoint=10000")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    return conn


def migrate(conn: sqlite3.Connection, *, target: int = SCHEMA_VERSION) -> int:
    """Bring the file up to ``target`` and return the version it was at before.

    A file newer than this program is refused rather than guessed at.
    """
    (current,) = conn.execute("PRAGMA user_version").fetchone()
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"the store is at schema version {current}, newer than this Lookout "
            f"({SCHEMA_VERSION}); upgrade Lookout to open it"
        )
    for version in range(current + 1, target + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return int(current)


def open_database(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) a store for writing, migrated to the current schema."""
    conn = connect(path)
    migrate(conn)
    return sqlite_utils.Database(conn)
