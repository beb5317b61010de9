"""The change feed (issue 15, R-LIVE-1): what another session commits for a company
shows on the screens of every other session of that company within a second.

Writing. Every write that other sessions show (applications: new, change, cancel;
accounts: new, change, delete, unlock, locked by failed logins; company information
and options; closed days, which move deadlines) calls ``record`` inside its own
transaction. ``record`` adds a row to ``change_log`` (kind, id, company, and the
``origin`` of the writing AppContext) and, on PostgreSQL, sends ``NOTIFY`` on the
company's channel (``portplus_c<company id>``; closed days on ``portplus_all``).
PostgreSQL delivers a notification at commit and drops it on rollback, and the row
goes with the transaction too: a rolled-back write tells nobody.

Watching. A ``Watcher`` follows one company for one app process, in a thread of its
own, and hands over lists of ``Change`` (kind and id only: no data travels; the
screens read again through the services, so tenancy and roles hold as for any call):

- SQLite: every ``poll_seconds`` it asks its own read-only connection for
  ``PRAGMA data_version``, which changes only when another connection has committed.
  While nothing is written that is the only statement: no table is read. When it
  changes, the rows of ``change_log`` after the last one seen, for the company (and
  for every company), are read.
- PostgreSQL: one connection of its own ``LISTEN``\\ s on the company's channel and
  ``portplus_all``; a notification makes it read the new rows. It never hears
  another company's channel.
- Robust: when the listening connection fails (the server restarted, the connection
  was killed), the state becomes ``"polling"``: the rows are read every
  ``fallback_seconds`` through a new connection while the listener is set up again;
  once it is, the state is ``"live"`` again and a ``Change("reset")`` tells the
  screens to read everything once (notifications may have been missed meanwhile).

Rows older than ``KEEP`` are deleted now and then by ``record``. The setting ``live``
turns the watching off (writes are still recorded, for the others).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from portplus_tui.services.context import AppContext, Session
from portplus_tui.store import models as m
from portplus_tui.store.db import is_postgres, sqlite_path, to_db

log = logging.getLogger(__name__)

#: what changed (``Change.kind``)
APPLICATION, ACCOUNT, COMPANY, CLOSED_DAY = "application", "account", "company", "closed_day"
#: a watcher that lost and found the feed again: read everything once
RESET = "reset"
#: how long a row of change_log is kept (a watcher that slept longer reloads anyway)
KEEP = timedelta(hours=1)
_PRUNE_EVERY = 200  # rows


def channel(company_id: int | None) -> str:
    """The PostgreSQL channel of a company (``None``: every company)."""
    return "portplus_all" if company_id is None else f"portplus_c{int(company_id)}"


def record(ctx: AppContext, company_id: int | None, kind: str, item_id: int | None = None) -> None:
    """Tell the other sessions of ``company_id`` (None: of every company) that ``kind``
    ``item_id`` changed. Call inside the transaction of the write."""
    row = m.ChangeLog.create(company_id=company_id, kind=kind, item_id=item_id,
                             origin=ctx.origin, at=to_db(ctx.now()))
    if is_postgres(ctx.db):
        # delivered at commit, dropped on rollback; the payload names no data
        ctx.db.execute_sql("SELECT pg_notify(%s, %s)",
                           (channel(company_id), f"{kind} {item_id or ''}".strip()))
    if row.id % _PRUNE_EVERY == 0:
        m.ChangeLog.delete().where(m.ChangeLog.at < to_db(ctx.now() - KEEP)).execute()


@dataclass(frozen=True)
class Change:
    """One committed change: ``kind`` and the id of what changed (an application's,
    an account's; None for the company and closed days). ``mine``: written by this
    app's own context (its screens already show it)."""

    kind: str
    item_id: int | None = None
    mine: bool = False


_NEW_ROWS = ('SELECT "id", "kind", "item_id", "origin" FROM "change_log" '
             'WHERE "id" > {p} AND ("company_id" = {p} OR "company_id" IS NULL) ORDER BY "id"')
_LAST_ROW = 'SELECT MAX("id") FROM "change_log"'


class Watcher:
    """Follows the change feed of one company (see the module docstring).

    ``on_changes(list[Change])`` and ``on_state("live" | "polling")`` are called from
    the watcher's thread; ``stop()`` ends it (and closes its connection)."""

    def __init__(self, ctx: AppContext, session: Session,
                 on_changes: Callable[[list[Change]], object],
                 on_state: Callable[[str], object] = lambda state: None, *,
                 poll_seconds: float = 0.25, fallback_seconds: float = 2.0) -> None:
        self.company_id = int(session.company_id)
        self.origin = ctx.origin
        self.on_changes = on_changes
        self.on_state = on_state
        self.poll_seconds = poll_seconds
        self.fallback_seconds = fallback_seconds
        self.postgres = is_postgres(ctx.db)
        if self.postgres:
            params = {k: v for k, v in ctx.db.connect_params.items()
                      if k in ("host", "port", "user", "password", "connect_timeout",
                               "sslmode", "sslrootcert", "sslcert", "sslkey", "options",
                               "application_name", "passfile")}
            self._connect: Callable[[], Any] = lambda: _pg_connect(ctx.db.database, params)
        else:
            path = sqlite_path(ctx.settings.resolved_database_url)
            self._connect = lambda: _sqlite_connect(path)
        self.state = ""
        self.last_id = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: Any = None

    # ------------------------------------------------------------------ control
    def start(self) -> "Watcher":
        self._thread = threading.Thread(target=self._run, name="portplus-live", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: float = 2.0) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(wait)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------------ the thread
    def _run(self) -> None:
        try:
            if self.postgres:
                self._run_postgres()
            else:
                self._run_sqlite()
        except Exception:  # noqa: BLE001 - a bug here must not end the app
            log.exception("change feed watcher stopped")
        finally:
            self._close()

    def _set_state(self, state: str) -> None:
        if state != self.state:
            if state == "polling":
                log.warning("change feed of company %s lost: polling", self.company_id)
            elif self.state == "polling":
                log.warning("change feed of company %s back", self.company_id)
            self.state = state
            self.on_state(state)

    def _deliver(self, rows: list[tuple]) -> None:
        changes = []
        for row_id, kind, item_id, origin in rows:
            self.last_id = max(self.last_id, int(row_id))
            changes.append(Change(kind, item_id, origin == self.origin))
        if changes:
            self.on_changes(changes)

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - it is going anyway
                pass

    # SQLite: PRAGMA data_version on a connection of its own
    def _run_sqlite(self) -> None:
        version = None
        started = False
        while not self._stop.is_set():
            try:
                if self._conn is None:
                    self._conn = self._connect()
                    version = _scalar(self._conn, "PRAGMA data_version")
                    if not started:  # what was there before is not news
                        self.last_id = _scalar(self._conn, _LAST_ROW) or 0
                        started = True
                    else:  # back after a failure: what came meanwhile
                        self._deliver(_rows(self._conn, _NEW_ROWS.format(p="?"),
                                            (self.last_id, self.company_id)))
                    self._set_state("live")
                now = _scalar(self._conn, "PRAGMA data_version")
                if now != version:
                    version = now
                    self._deliver(_rows(self._conn, _NEW_ROWS.format(p="?"),
                                        (self.last_id, self.company_id)))
            except Exception as exc:  # noqa: BLE001 - busy, file replaced, gone
                log.info("change feed (SQLite): %s", exc)
                self._close()
                self._set_state("polling")
            self._stop.wait(self.poll_seconds)

    # PostgreSQL: LISTEN on a connection of its own; polling while it is down
    def _run_postgres(self) -> None:
        first = True
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as exc:  # noqa: BLE001 - server down, restarted, killed
                log.info("change feed (PostgreSQL): %s", exc)
                self._close()
            if self._conn is not None:
                if not first:
                    self._deliver_reset()
                first = False
                self._set_state("live")
                try:
                    self._follow()
                except Exception as exc:  # noqa: BLE001 - the connection failed
                    log.info("change feed (PostgreSQL) lost: %s", exc)
                self._close()
                if self._stop.is_set():
                    return
            first = False
            self._set_state("polling")
            self._poll_once()
            self._stop.wait(self.fallback_seconds)

    def _listen(self) -> None:
        conn = self._conn = self._connect()
        conn.execute(f'LISTEN "{channel(self.company_id)}"')
        conn.execute(f'LISTEN "{channel(None)}"')
        if not self.last_id:
            self.last_id = _scalar(conn, _LAST_ROW) or 0

    def _follow(self) -> None:
        conn = self._conn
        while not self._stop.is_set():
            heard = False
            for _notify in conn.notifies(timeout=0.5, stop_after=1):
                heard = True
            if heard:
                self._deliver(_rows(conn, _NEW_ROWS.format(p="%s"), (self.last_id, self.company_id)))
            elif conn.closed or conn.broken:
                raise ConnectionError("listening connection closed")

    def _poll_once(self) -> None:
        """While the listener is down: read the new rows through a short connection
        (nothing when the database cannot be reached either)."""
        try:
            conn = self._connect()
        except Exception:  # noqa: BLE001 - still down
            return
        try:
            if not self.last_id:
                self.last_id = _scalar(conn, _LAST_ROW) or 0
            else:
                self._deliver(_rows(conn, _NEW_ROWS.format(p="%s"), (self.last_id, self.company_id)))
        except Exception as exc:  # noqa: BLE001
            log.info("change feed (polling): %s", exc)
        finally:
            conn.close()

    def _deliver_reset(self) -> None:
        self.on_changes([Change(RESET)])


#: TCP keep-alives on the listening connection: a server that vanished without closing it
#: (a network cut, a host gone) is noticed within about 30 s, not never
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
               "keepalives_count": 3}


def _pg_connect(dbname: str, params: dict) -> Any:
    import psycopg

    return psycopg.connect(dbname=dbname, autocommit=True, **{**_KEEPALIVES, **params})


def _sqlite_connect(path: Any) -> Any:
    import sqlite3
    from urllib.parse import quote

    # read-only, of its own: data_version counts the commits of other connections
    return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=1.0,
                           check_same_thread=False)


def _scalar(conn: Any, sql: str) -> Any:
    row = conn.execute(sql).fetchone()
    return row[0] if row else None


def _rows(conn: Any, sql: str, params: tuple) -> list[tuple]:
    return list(conn.execute(sql, params).fetchall())
