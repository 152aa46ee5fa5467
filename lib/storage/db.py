"""The SQL engine for results, from settings, with its schema brought up to date by Alembic.

Why SQLAlchemy Core + Alembic: the same queries run on SQLite (embedded default) and PostgreSQL (a class
on several servers), and schema changes are named, ordered migrations instead of ad-hoc column checks.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_S = 30
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def database_url(data_dir: Path, configured: str | None) -> str:
    """The configured URL (postgresql://… becomes SQLAlchemy's psycopg 3 URL), or SQLite in the data folder."""
    if not configured:
        return f"sqlite:///{Path(data_dir).resolve() / 'history.sqlite3'}"
    for prefix in ("postgresql://", "postgres://"):
        if configured.startswith(prefix):
            return "postgresql+psycopg://" + configured[len(prefix):]
    return configured


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - SQLAlchemy's event signature
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL stays consistent with NORMAL; only a power cut (not an app crash) can lose the last commits. FULL
    # syncs the disk on every commit: ~29 ms here, and 30 attendees' results then queued behind each other in
    # SQLite's busy handler for up to 6 s (issue 16). NORMAL syncs at checkpoints only.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.close()


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


def _one_writer_at_a_time(engine: Engine) -> None:
    """SQLite: a transaction that writes holds a process-wide lock from its first write to its end.

    Why: SQLite lets one writer in at a time, and the others wait in its busy handler, sleeping 1, 2, 5 …
    up to 100 ms between tries. With 30 attendees' jobs storing results at once, and the writer that holds
    the database waiting for the GIL, that convoy kept results from being stored for 5 s. Waiting on a
    Python lock wakes the next writer the moment the previous one ends. Readers never take it (WAL).
    """
    lock = threading.RLock()

    def before_execute(conn, _cursor, statement, _params, _context, _many) -> None:  # noqa: ANN001
        if not conn.info.get("writer") and statement.lstrip()[:7].upper().startswith(_WRITES):
            # Bounded: should anything ever hold it too long, SQLite's own busy handling takes over as before.
            if lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_S):
                conn.info["writer"] = True

    def ended(conn) -> None:  # noqa: ANN001
        if conn.info.pop("writer", False):
            try:
                lock.release()
            except RuntimeError:  # not this thread's (never expected): nothing to give back
                pass

    event.listen(engine, "before_cursor_execute", before_execute)
    event.listen(engine, "commit", ended)
    event.listen(engine, "rollback", ended)


def engine_for(url: str) -> Engine:
    """One engine per URL and process, migrated to the newest schema on first use."""
    with _lock:
        if url in _engines:
            return _engines[url]
        if url.startswith("sqlite"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            # A connection per thread that needs one: 30 jobs storing results while pages read must not queue
            # for SQLAlchemy's default 5 (+10 overflow) connections (SQLite's are cheap file handles).
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
                                   pool_size=20, max_overflow=80)
            event.listen(engine, "connect", _sqlite_pragmas)
            _one_writer_at_a_time(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        migrate(engine)
        _engines[url] = engine
        return engine


def migrate(engine: Engine) -> None:
    """Run every migration not yet applied. On PostgreSQL an advisory lock keeps two servers starting at
    once from running the same migration twice."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if is_postgres(engine):
            connection.execute(text("SELECT pg_advisory_xact_lock(20261201)"))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def forget_engines() -> None:
    """Dispose every engine (tests, and a settings change)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
