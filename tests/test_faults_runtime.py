"""Faults under the service layer and the command line (issue 6, point 5):

* PostgreSQL restarted or a backend killed: the next call on the same (pooled) thread
  works again; a BEGIN or SELECT on a dead connection is run again once on a new one,
  a write outside a transaction and anything inside a transaction are never repeated.
* A read-only database file, a database that cannot be created, a missing file:
  ``portplus`` exits 2 with one line on stderr, no traceback, nothing changed.

The UI side of the same faults: tests/ui/test_faults_ui.py.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterator

import peewee
import pytest

from portplus_tui.config import Settings
from portplus_tui.core.errors import DatabaseUnavailable
from portplus_tui.services import auth, companies, demo
from portplus_tui.services.context import AppContext, as_user_error
from portplus_tui.store import models as m
from portplus_tui.store.db import ReconnectingPostgresqlDatabase

from .fault_support import unwritable

ROOT = Path(__file__).resolve().parents[1]
MEMBER = demo.DEMO_COMPANY
ADMIN_LOGIN, ADMIN_PASSWORD = demo.DEMO_LOGINS[0][1], demo.DEMO_LOGINS[0][2]
DB_DOWN_JA = "データベースに接続できません。しばらくしてから再度お試しください。"
DB_ERRORS = (peewee.OperationalError, peewee.InterfaceError)


def _settings(tmp_path: Path, url: str) -> Settings:
    return Settings(data_dir=tmp_path, database_url=url, bcrypt_rounds=4,
                    mail_backend="memory").validate()


@pytest.fixture
def one_thread() -> Iterator[Callable[[Callable[[], Any]], Any]]:
    """Run calls on one pooled thread, as the app's thread workers do: the same thread
    (and so the same peewee connection) is used again for the next call."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="faults")
    try:
        yield lambda fn: pool.submit(fn).result(timeout=120)
    finally:
        pool.shutdown(wait=True)


def _seeded(tmp_path: Path, url: str) -> AppContext:
    ctx = AppContext.open(_settings(tmp_path, url), migrate=True)
    demo.seed(ctx)
    return ctx


def _backend_pid(ctx: AppContext) -> int:
    return ctx.db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]


def _kill(server, pid: int) -> None:
    """End one backend from outside, as a server restart or an admin would."""
    with server.connect() as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]


# ====================================================================== PostgreSQL
def test_postgresql_urls_open_the_reconnecting_database(pg_url, tmp_path):
    ctx = AppContext.open(_settings(tmp_path, pg_url))
    try:
        assert isinstance(ctx.db, ReconnectingPostgresqlDatabase)
    finally:
        ctx.close()


@pytest.mark.postgres
def test_calls_work_again_on_the_same_thread_after_a_server_restart(stoppable_pg_server,
                                                                     tmp_path, one_thread):
    server = stoppable_pg_server
    ctx = _seeded(tmp_path, server.create_database("restart"))
    try:
        def find() -> str:
            return companies.find_company(ctx, MEMBER).name

        name = one_thread(find)
        pid_before = one_thread(lambda: _backend_pid(ctx))

        server.stop("fast")
        for _ in range(2):  # the dead connection, then a refused reconnect: both typed
            with pytest.raises(DB_ERRORS) as caught:
                one_thread(find)
            typed = as_user_error(caught.value)
            assert isinstance(typed, DatabaseUnavailable) and typed.ja == DB_DOWN_JA

        server.start()
        assert one_thread(find) == name  # the first call after the restart
        assert one_thread(lambda: _backend_pid(ctx)) != pid_before

        # restart again without the thread noticing: its connection is stale, and the
        # next call is a write transaction (login: failure count + audit row)
        server.stop("fast")
        server.start()
        audits = m.AuditLog.select().count()
        result = one_thread(lambda: auth.login(ctx, MEMBER, ADMIN_LOGIN, ADMIN_PASSWORD))
        assert result.session is not None
        assert m.AuditLog.select().count() == audits + 1  # written once, not twice
    finally:
        if not server.is_running():
            server.start()
        ctx.close()


@pytest.mark.postgres
def test_a_read_on_a_killed_connection_is_run_again_once(pg_url, pg_server, tmp_path,
                                                         one_thread):
    ctx = _seeded(tmp_path, pg_url)
    try:
        pid = one_thread(lambda: _backend_pid(ctx))
        _kill(pg_server, pid)
        assert one_thread(lambda: companies.find_company(ctx, MEMBER).member_no) == MEMBER
        assert one_thread(lambda: _backend_pid(ctx)) != pid
    finally:
        ctx.close()


@pytest.mark.postgres
def test_a_write_outside_a_transaction_is_not_repeated(pg_url, pg_server, tmp_path,
                                                       one_thread):
    """The connection died before the UPDATE: it fails once (the caller is told), it is
    not run again behind the caller's back, and the next call works."""
    ctx = _seeded(tmp_path, pg_url)
    try:
        pid = one_thread(lambda: _backend_pid(ctx))
        _kill(pg_server, pid)

        def append_note() -> None:
            ctx.db.execute_sql("UPDATE company SET note = note || 'x' WHERE member_no = %s",
                               (MEMBER,))

        with pytest.raises(DB_ERRORS):
            one_thread(append_note)
        assert m.Company.get(m.Company.member_no == MEMBER).note.count("x") == 0
        one_thread(append_note)  # reconnected
        assert m.Company.get(m.Company.member_no == MEMBER).note.count("x") == 1
    finally:
        ctx.close()


@pytest.mark.postgres
def test_a_connection_lost_inside_a_transaction_is_not_replaced(pg_url, pg_server,
                                                               tmp_path, one_thread):
    """Half a transaction must never continue on a new connection (it would commit the
    second half alone): the error goes up, nothing is written, the next call works."""
    ctx = _seeded(tmp_path, pg_url)
    day = date(2031, 5, 7)
    try:
        def half_done() -> None:
            with ctx.db.atomic():
                m.ClosedDay.create(day=day, created_at=ctx.now())
                _kill(pg_server, _backend_pid(ctx))
                m.ClosedDay.create(day=date(2031, 5, 8), created_at=ctx.now())

        with pytest.raises(DB_ERRORS):
            one_thread(half_done)
        assert one_thread(lambda: ctx.db.in_transaction()) is False
        assert m.ClosedDay.select().where(m.ClosedDay.day.year == 2031).count() == 0
        one_thread(lambda: m.ClosedDay.create(day=day, created_at=ctx.now()))
        assert [d.day for d in m.ClosedDay.select().where(m.ClosedDay.day.year == 2031)] == [day]
    finally:
        ctx.close()


# ====================================================================== command line
def portplus(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PORTPLUS_DATA_DIR": str(tmp_path / "home"),
           "PORTPLUS_DATABASE_URL": url, "PORTPLUS_BCRYPT_ROUNDS": "4",
           "PORTPLUS_LANG": "ja", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("PORTPLUS_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "portplus_tui", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("portplus: "), proc.stderr
    for word in words:
        assert word in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and "unexpected" not in proc.stderr
    assert proc.stdout == ""


def test_cli_on_a_read_only_database_file(tmp_path):
    """A write is refused with one sentence (exit 2) and changes nothing; reading still
    works. How the file is made read-only also for root: tests/fault_support.py."""
    folder = tmp_path / "db"
    ctx = _seeded(folder, f"sqlite:///{folder / 'portplus.db'}")
    ctx.close()
    db_file = folder / "portplus.db"
    url = f"sqlite:///{db_file}"
    with unwritable(db_file):
        before = db_file.read_bytes()
        proc = portplus(tmp_path, url, "company", "set", MEMBER, "--ports", "77")
        assert_one_line_error(proc, "読み取り専用")
        shown = portplus(tmp_path, url, "company", "show", MEMBER)
        assert shown.returncode == 0 and "ports: 30" in shown.stdout, shown.stderr
        assert db_file.read_bytes() == before


@pytest.mark.parametrize("problem", ["file_in_the_way", "folder_not_writable", "missing_file"])
@pytest.mark.parametrize("command", [("company", "list"), ("init",)])
def test_cli_on_a_database_that_cannot_be_opened(tmp_path, problem, command):
    guard: Any
    if problem == "file_in_the_way":
        (tmp_path / "plain-file").write_text("not a folder")
        db_file = tmp_path / "plain-file" / "sub" / "portplus.db"
        guard, words = contextlib.nullcontext(), ("データベースファイルを開けません", str(db_file))
    elif problem == "folder_not_writable":
        (tmp_path / "locked").mkdir()
        db_file = tmp_path / "locked" / "portplus.db"
        guard, words = unwritable(tmp_path / "locked"), ("データベースファイルを開けません",)
    else:  # an existing folder, no file: `init` creates it, anything else says to init
        (tmp_path / "empty").mkdir()
        db_file = tmp_path / "empty" / "portplus.db"
        guard, words = contextlib.nullcontext(), ("portplus init",)
    with guard:
        proc = portplus(tmp_path, f"sqlite:///{db_file}", *command)
    if problem == "missing_file" and command == ("init",):
        assert proc.returncode == 0 and db_file.is_file(), proc.stderr
        return
    assert_one_line_error(proc, *words)
    if problem != "missing_file":
        assert not db_file.exists()

