"""Database from a URL: SQLite (default, WAL) or PostgreSQL (psycopg 3).

    sqlite:///relative/or/absolute/path.db     (three slashes, then the path)
    sqlite:////abs/path.db                     (an absolute path shows four)
    postgresql://user:password@host:port/dbname

Models are bound through ``database_proxy``; ``bind(db)`` points it at a database.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import peewee

from portplus_tui.core.errors import ConfigurationError
from portplus_tui.core.messages import texts
from portplus_tui.store import files

database_proxy = peewee.DatabaseProxy()

SQLITE_SCHEMES = ("sqlite",)
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "psycopg3")


def _bad_url(url: str, why_en: str, why_ja: str) -> ConfigurationError:
    return ConfigurationError(
        *texts('db.bad_url', why_ja=why_ja, url=_redact(url), why_en=why_en),
        field="database_url",
    )


def _redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parsed = urlparse(url)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
        return parsed._replace(netloc=netloc).geturl()
    return url


def redact_url(url: str) -> str:
    return _redact(url)


def is_sqlite_url(url: str) -> bool:
    return urlparse(url).scheme in SQLITE_SCHEMES


def sqlite_path(url: str) -> Path | None:
    parsed = urlparse(url)
    if parsed.scheme not in SQLITE_SCHEMES:
        return None
    if not url.startswith("sqlite:///"):
        raise _bad_url(url, "SQLite URLs need three slashes: sqlite:///path.db",
                       "SQLite のURLはスラッシュ3つが必要です: sqlite:///path.db")
    return Path(unquote(url[len("sqlite:///"):].split("?", 1)[0]))


def open_database(url: str, *, busy_timeout_ms: int = 5000, create_dirs: bool = True,
                  shared_group: str | None = None) -> peewee.Database:
    """Open (lazily: peewee connects on first use) the database a URL names.

    SQLite: folders it creates are ``0700`` and a file it creates ``0600`` (``2770`` /
    ``0660`` of ``shared_group``); SQLite gives the ``-wal`` and ``-shm`` files the mode
    of the database file. Existing folders and files are left as they are (``portplus
    init`` tightens them: ``tighten_sqlite_files``)."""
    parsed = urlparse(url)
    scheme = parsed.scheme
    if scheme in SQLITE_SCHEMES:
        path = sqlite_path(url)
        if path is None or str(path) in ("", ":memory:"):
            raise _bad_url(url, "an in-memory SQLite database cannot be shared between threads; use a file",
                           "メモリ上のSQLiteはスレッド間で共有できません。ファイルを指定してください")
        if create_dirs:
            try:
                files.private_dir(path.parent, shared_group, tighten=False)
            except OSError as exc:  # a file in the way, no permission, read-only disk
                raise cannot_open(path, exc) from None
        existed = path.exists()
        _ensure_wal(path, busy_timeout_ms)
        if not existed:
            try:
                tighten_sqlite_files(path, shared_group)
            except OSError as exc:
                raise cannot_open(path, exc) from None
        return peewee.SqliteDatabase(
            str(path),
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": busy_timeout_ms,
                "synchronous": "normal",
                # 2 MB of page cache per connection (one per worker thread). Paging a
                # million rows is as fast as with 16 MB (list_page, next_page, last_page
                # measured), and 16 MB caches filled up as a session jumped around the
                # list: 1.56x the memory of a 1,000-row database (bench/memory.py).
                "cache_size": -2000,
            },
            timeout=busy_timeout_ms / 1000,
            lock_type="IMMEDIATE",
            check_same_thread=False,
        )
    if scheme in POSTGRES_SCHEMES:
        dbname = unquote(parsed.path.lstrip("/"))
        if not dbname:
            raise _bad_url(url, "no database name", "データベース名がありません")
        kwargs: dict[str, Any] = {}
        if parsed.hostname:
            kwargs["host"] = parsed.hostname
        if parsed.port:
            kwargs["port"] = parsed.port
        if parsed.username:
            kwargs["user"] = unquote(parsed.username)
        if parsed.password:
            kwargs["password"] = unquote(parsed.password)
        for key, values in parse_qs(parsed.query).items():
            kwargs[key] = values[-1]
        kwargs.setdefault("connect_timeout", 5)
        return ReconnectingPostgresqlDatabase(dbname, prefer_psycopg3=True, **kwargs)
    raise _bad_url(url, f"unknown scheme {scheme!r} (use sqlite:/// or postgresql://)",
                   f"未対応の形式です {scheme!r} (sqlite:/// または postgresql:// を使用してください)")


class ReconnectingPostgresqlDatabase(peewee.PostgresqlDatabase):
    """PostgreSQL that comes back after the server did (restart, failover, a killed backend).

    peewee keeps one connection per thread, and the app's service calls run on pooled
    worker threads: a connection the server dropped would otherwise fail every later
    call on its thread, for good. Outside a transaction, a connection known to be broken
    is replaced before use, and a ``BEGIN`` or ``SELECT`` that finds its (reused)
    connection dead is run once more on a new one: it cannot have changed anything.
    Inside a transaction the error goes up as before (the transaction is lost; the
    caller's ``atomic()`` ends it) and the next call reconnects.
    """

    _RETRYABLE = ("select", "begin")
    _state: Any  # peewee's per-thread connection state (not in its type hints)

    def _broken(self) -> bool:
        conn = None if self._state.closed else self._state.conn
        return conn is not None and bool(getattr(conn, "closed", False)
                                         or getattr(conn, "broken", False))

    def _drop_broken(self) -> None:
        conn = self._state.conn
        self._state.reset()
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - it is gone anyway
            pass

    def _fresh_if_broken(self) -> bool:
        """Outside a transaction: drop a broken connection. True when a connection that
        was already open is about to be reused (so a failure may be its staleness)."""
        if self.in_transaction():
            return False
        if self._broken():
            self._drop_broken()
        return not self._state.closed

    def _retry_once(self, run, statement: str):
        reused = self._fresh_if_broken()
        try:
            return run()
        except (peewee.OperationalError, peewee.InterfaceError):
            if not (reused and self._broken()):
                raise
            self._drop_broken()
            if not statement.lstrip().lower().startswith(self._RETRYABLE):
                raise
            return run()

    def execute_sql(self, sql, params=None):
        if self.in_transaction():
            return super().execute_sql(sql, params)
        return self._retry_once(lambda: super(ReconnectingPostgresqlDatabase, self)
                                .execute_sql(sql, params), str(sql))

    def begin(self, isolation_level=None):
        if self.in_transaction():
            return super().begin(isolation_level)
        return self._retry_once(lambda: super(ReconnectingPostgresqlDatabase, self)
                                .begin(isolation_level), "begin")

    def connection(self):
        self._fresh_if_broken()
        return super().connection()


def tighten_sqlite_files(path: str | Path, shared_group: str | None = None) -> list[Path]:
    """Give the SQLite file and its ``-wal`` / ``-shm`` the file mode (those this
    process owns); returns those that were readable by others before."""
    changed = []
    for item in files.sqlite_files(path):
        before = files.readable_by_others(item, shared_group)
        files.tighten_file(item, shared_group)
        if before and not files.readable_by_others(item, shared_group):
            changed.append(item)
    return changed


def cannot_open(path: Path, exc: BaseException) -> ConfigurationError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return ConfigurationError(
        *texts('db.cannot_open', path=path, reason=reason),
        field="database_url",
    )


def _ensure_wal(path: Path, busy_timeout_ms: int) -> None:
    """Switch the file to WAL once, before any pooled connection uses it.

    WAL is persistent, but the switch needs an exclusive lock: connections that open a
    brand-new file at the same moment may otherwise stay in rollback-journal mode, where
    a reader and a writer can deadlock ("database is locked") instead of waiting.
    """
    import sqlite3
    import time

    if not path.parent.is_dir():
        return  # the connect will report it
    try:
        conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000)
    except sqlite3.Error as exc:  # e.g. a folder it may not create the file in
        raise cannot_open(path, exc) from None
    try:
        deadline = time.monotonic() + busy_timeout_ms / 1000
        while True:
            try:
                mode = conn.execute("PRAGMA journal_mode=wal").fetchone()[0]
            except sqlite3.OperationalError:
                mode = None
            if mode == "wal" or time.monotonic() > deadline:
                return
            time.sleep(0.01)
    finally:
        conn.close()


def bind(db: peewee.Database) -> peewee.Database:
    database_proxy.initialize(db)
    return db


def is_postgres(db: peewee.Database) -> bool:
    return isinstance(db, peewee.PostgresqlDatabase)


# --------------------------------------------------------------------- time
# Instants are stored as naive UTC (the same on SQLite and PostgreSQL) and handed
# to services as aware UTC datetimes.

def to_db(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def from_db(dt: datetime | str | None) -> datetime | None:
    if dt is None:
        return None
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)
