"""The change feed (services/live.py, issue 15): rows and NOTIFY in the write's
transaction, a watcher per company on SQLite (PRAGMA data_version) and PostgreSQL
(LISTEN), nothing on rollback, nothing across companies, back after a restart."""

from __future__ import annotations

import queue
import sqlite3
import threading
from typing import Any

import pytest

from portplus_tui.services import accounts, closed_days, companies, live
from portplus_tui.services import applications as apps
from portplus_tui.services.context import AppContext
from portplus_tui.services.mail import MemoryBackend
from portplus_tui.store import models as m

from .conftest import make_settings, make_tenant

WAIT = 10.0  # seconds: the longest a test waits for the watcher's thread (never a sleep)


class Heard:
    """What a watcher hands over, as a queue the test waits on."""

    def __init__(self) -> None:
        self.changes: queue.Queue[list[live.Change]] = queue.Queue()
        self.states: queue.Queue[str] = queue.Queue()

    def next_changes(self) -> list[live.Change]:
        return self.changes.get(timeout=WAIT)

    def wait_state(self, wanted: str) -> None:
        while True:
            if self.states.get(timeout=WAIT) == wanted:
                return


def watch(ctx: AppContext, session, **kwargs: Any) -> tuple[live.Watcher, Heard]:
    heard = Heard()
    watcher = live.Watcher(ctx, session, heard.changes.put, heard.states.put,
                           poll_seconds=0.02, fallback_seconds=0.1, **kwargs)
    watcher.start()
    heard.wait_state("live")
    return watcher, heard


@pytest.fixture
def other_ctx(ctx):
    """Another app's context (its own origin). It shares the Database object: the
    models of one process are bound to one database (store/db.bind); the watcher reads
    through a connection of its own anyway."""
    return AppContext(settings=ctx.settings, db=ctx.db, clock=ctx.clock,
                      mailer=MemoryBackend(sender="x@example.com"))


def test_a_write_records_its_kind_and_id_and_nothing_on_rollback(ctx, tenant):
    before = m.ChangeLog.select().count()
    with pytest.raises(RuntimeError):
        with ctx.db.atomic():
            apps.create(ctx, tenant.user_session, apply_date="2026-03-06", ports="3")
            raise RuntimeError("rolled back")
    assert m.ChangeLog.select().count() == before
    view = apps.create(ctx, tenant.user_session, apply_date="2026-03-06", ports="3")
    row = m.ChangeLog.select().order_by(m.ChangeLog.id.desc()).first()
    assert (row.company_id, row.kind, row.item_id, row.origin) == (
        tenant.company.id, live.APPLICATION, view.id, ctx.origin)


def test_every_shown_write_is_recorded(ctx, tenant):
    def kinds_after(action) -> list[tuple]:
        last = m.ChangeLog.select(m.ChangeLog.id).order_by(m.ChangeLog.id.desc()).scalar() or 0
        action()
        return [(r.company_id, r.kind) for r in
                m.ChangeLog.select().where(m.ChangeLog.id > last).order_by(m.ChangeLog.id)]

    cid, s = tenant.company.id, tenant.admin_session
    views = [apps.create(ctx, s, apply_date="2026-03-06", ports="3")]
    assert kinds_after(lambda: views.append(apps.change(
        ctx, s, views[0].id, version=views[0].version, apply_date="2026-03-06", ports="4",
        applicant=views[0].applicant))) == [(cid, live.APPLICATION)]
    assert kinds_after(lambda: apps.cancel(ctx, s, views[1].id, version=views[1].version)) == [
        (cid, live.APPLICATION)]
    made: list = []
    assert kinds_after(lambda: made.append(accounts.create_account(
        ctx, s, name="新人", role="user", login_id="new@example.com", password="new-pass-12",
        password_confirm="new-pass-12",
        department="営業部", phone="", expires="2099-12-31"))) == [(cid, live.ACCOUNT)]
    assert kinds_after(lambda: accounts.delete_account(
        ctx, s, made[0].id, version=made[0].version)) == [(cid, live.ACCOUNT)]
    assert kinds_after(lambda: companies.set_company(
        ctx, tenant.company.member_no, name="新しい社名")) == [(cid, live.COMPANY)]
    assert kinds_after(lambda: closed_days.add(ctx, "2026-03-10")) == [(None, live.CLOSED_DAY)]


def test_the_watcher_hears_another_sessions_commit(ctx, other_ctx, tenant):
    watcher, heard = watch(ctx, tenant.admin_session)
    try:
        view = apps.create(other_ctx, tenant.user_session, apply_date="2026-03-06", ports="3")
        assert heard.next_changes() == [live.Change(live.APPLICATION, view.id, mine=False)]
        mine = apps.create(ctx, tenant.user_session, apply_date="2026-03-06", ports="2")
        assert heard.next_changes() == [live.Change(live.APPLICATION, mine.id, mine=True)]
    finally:
        watcher.stop()
    assert not watcher.running


def test_a_rolled_back_write_tells_nobody(ctx, other_ctx, tenant):
    watcher, heard = watch(ctx, tenant.admin_session)
    try:
        with pytest.raises(RuntimeError):
            with other_ctx.db.atomic():
                apps.create(other_ctx, tenant.user_session, apply_date="2026-03-06", ports="3")
                raise RuntimeError("rolled back")
        kept = apps.create(other_ctx, tenant.user_session, apply_date="2026-03-06", ports="4")
        # the first thing heard is the committed one: the rolled-back row never was
        assert heard.next_changes() == [live.Change(live.APPLICATION, kept.id)]
    finally:
        watcher.stop()


def test_no_feed_crosses_companies(ctx, other_ctx, tenant, other_tenant):
    watcher, heard = watch(ctx, tenant.admin_session)
    try:
        apps.create(other_ctx, other_tenant.user_session, apply_date="2026-03-06", ports="3")
        ours = apps.create(other_ctx, tenant.user_session, apply_date="2026-03-06", ports="5")
        assert heard.next_changes() == [live.Change(live.APPLICATION, ours.id)]
        closed_days.add(other_ctx, "2026-03-10")  # every company's deadlines
        assert heard.next_changes() == [live.Change(live.CLOSED_DAY, None)]
    finally:
        watcher.stop()


@pytest.fixture
def sqlite_tenant(tmp_path, clock):
    """A SQLite database of the test's own (whatever ``database_url`` says) and its
    company: for what only the SQLite watcher does."""
    settings = make_settings(f"sqlite:///{tmp_path / 'watched.db'}", tmp_path)
    ctx = AppContext.open(settings, clock=clock, migrate=True)
    try:
        yield ctx, make_tenant(ctx, "M97-00339")
    finally:
        ctx.close()


def test_an_idle_sqlite_database_costs_data_version_only(sqlite_tenant):
    ctx, tenant = sqlite_tenant
    statements: queue.Queue[str] = queue.Queue()
    watcher = live.Watcher(ctx, tenant.admin_session, lambda changes: None, poll_seconds=0.01)
    connect = watcher._connect

    def traced() -> sqlite3.Connection:
        conn = connect()
        conn.set_trace_callback(statements.put)
        return conn

    watcher._connect = traced
    watcher.start()
    try:
        seen = [statements.get(timeout=WAIT) for _ in range(2)]  # the start: last row
        assert any("change_log" in statement for statement in seen)
        idle = [statements.get(timeout=WAIT) for _ in range(20)]
        assert set(idle) == {"PRAGMA data_version"}, idle
        apps.create(ctx, tenant.user_session, apply_date="2026-03-06", ports="3")
        while "change_log" not in statements.get(timeout=WAIT):
            pass  # one read of the new rows after the commit
    finally:
        watcher.stop()


class Breakable:
    """The watcher's first connection, which fails in the watcher's own thread once
    ``broken`` is set (as a file gone under it would). Closing a connection from another
    thread while the watcher uses it is undefined in SQLite (it crashed the process)."""

    def __init__(self, conn: sqlite3.Connection, broken: threading.Event) -> None:
        self.conn, self.broken = conn, broken

    def execute(self, *args: Any) -> Any:
        if self.broken.is_set():
            raise sqlite3.OperationalError("disk I/O error")
        return self.conn.execute(*args)

    def close(self) -> None:
        self.conn.close()


def test_sqlite_watcher_comes_back_after_its_connection_broke(sqlite_tenant):
    ctx, tenant = sqlite_tenant
    other = AppContext(settings=ctx.settings, db=ctx.db, clock=ctx.clock)
    broken = threading.Event()
    heard = Heard()
    watcher = live.Watcher(ctx, tenant.admin_session, heard.changes.put, heard.states.put,
                           poll_seconds=0.02)
    connect, made = watcher._connect, []

    def first_breakable() -> Any:
        conn = connect()
        made.append(conn)
        return Breakable(conn, broken) if len(made) == 1 else conn

    watcher._connect = first_breakable
    watcher.start()
    try:
        heard.wait_state("live")
        broken.set()
        heard.wait_state("polling")
        view = apps.create(other, tenant.user_session, apply_date="2026-03-06", ports="3")
        heard.wait_state("live")  # on a new connection
        assert heard.next_changes() == [live.Change(live.APPLICATION, view.id)]
        assert len(made) == 2
    finally:
        watcher.stop()


def test_a_failed_login_lock_shows_in_the_feed(ctx, other_ctx, tenant):
    from portplus_tui.core.errors import AuthError
    from portplus_tui.services import auth

    watcher, heard = watch(ctx, tenant.admin_session)
    try:
        for _ in range(other_ctx.settings.lockout_threshold):
            with pytest.raises(AuthError):
                auth.login(other_ctx, tenant.company.member_no, "user@example.com", "wrong-pass-1")
        assert heard.next_changes() == [live.Change(live.ACCOUNT, tenant.user.id)]
    finally:
        watcher.stop()


@pytest.mark.postgres
def test_postgres_restart_the_watcher_comes_back_and_resets(stoppable_pg_server, tmp_path, clock):
    server = stoppable_pg_server
    url = server.create_database("live_restart")
    settings = make_settings(url, tmp_path)
    ctx = AppContext.open(settings, clock=clock, migrate=True)
    writer = AppContext(settings=settings, db=ctx.db, clock=clock)
    try:
        tenant = make_tenant(ctx, "M97-00339")
        watcher, heard = watch(ctx, tenant.admin_session)
        try:
            server.stop()
            heard.wait_state("polling")
            server.start()
            heard.wait_state("live")
            assert heard.next_changes() == [live.Change(live.RESET)]
            view = apps.create(writer, tenant.user_session, apply_date="2026-03-06", ports="3")
            assert heard.next_changes() == [live.Change(live.APPLICATION, view.id)]
        finally:
            watcher.stop()
    finally:
        ctx.close()
