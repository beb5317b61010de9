"""Faults while the app runs or starts (issue 6, point 5): PostgreSQL stopped under an open
app, the SMTP server down during a two-step login, a read-only or unusable database file
at start. Each time: one clear sentence on screen, no traceback, the app keeps running,
nothing half-done, and it works again once the fault is gone."""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from textual.widgets import DataTable, Static

from portplus_tui.logs import log_path, setup_logging
from portplus_tui.services import auth, demo
from portplus_tui.services.context import AppContext
from portplus_tui.store import models as m
from portplus_tui.ui.app import PortPlusApp
from portplus_tui.ui.screens.login import LoginScreen
from portplus_tui.ui.screens.main import MainScreen
from portplus_tui.ui.screens.otp import OtpScreen

from ..fault_support import free_port, unwritable
from ..secrets_registry import remember_code
from .support import (
    ADMIN,
    SIZE,
    TWO_FACTOR,
    FakeClock,
    burst,
    login,
    make_settings,
    notifications,
    run,
    screen_text,
    settle,
)

DB_DOWN = "データベースに接続できません。しばらくしてから再度お試しください。"
DB_READ_ONLY = "データベースに書き込めません(読み取り専用)。管理者に連絡してください。"
DB_OPEN_FAILED = "データベースを開けませんでした"
CANNOT_OPEN_FILE = "データベースファイルを開けません"
MAIL_FAILED = "メールを送信できなかった"
COMPANY_NAME_TITLE = "様 情報"


def _squeeze(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace() and ch != "|")


def shows(app, sentence: str) -> bool:
    """``sentence`` is on screen, also when a notification wrapped it over lines."""
    return _squeeze(sentence) in _squeeze(screen_text(app))


def assert_no_traceback(app) -> None:
    text = screen_text(app)
    for marker in ("Traceback", 'File "', "Error:", "psycopg", "peewee"):
        assert marker not in text, (marker, text)
    for note in notifications(app):
        assert "Traceback" not in note and "psycopg" not in note, note


# =================================================================== PostgreSQL stopped
@pytest.mark.postgres
def test_postgresql_stopped_while_the_app_is_open_then_back(stoppable_pg_server, tmp_path):
    server = stoppable_pg_server
    url = server.create_database("faults_ui")
    settings = make_settings(tmp_path, database_url=url)
    clock = FakeClock()
    ctx = AppContext.open(settings, clock=clock, migrate=True)
    demo.seed(ctx)
    ctx.close()  # the app's workers open their own connections
    setup_logging(settings)  # what the app does when it opens the database itself
    app = PortPlusApp(settings, ctx=ctx, clock=clock)

    async def body():
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await login(app, pilot, ADMIN)
            assert isinstance(app.screen, MainScreen)
            await pilot.press("f1")
            await settle(app, pilot)
            assert COMPANY_NAME_TITLE in screen_text(app)

            server.stop("fast")
            assert not server.is_running()

            # 会社情報 again: needs the database
            app.clear_notifications()
            await pilot.press("f1")
            await settle(app, pilot)
            assert isinstance(app.screen, MainScreen) and app.is_running
            assert shows(app, DB_DOWN), screen_text(app)
            assert_no_traceback(app)

            # the ポートプラス list: its own sentence above the table
            app.clear_notifications()
            await pilot.press("f3")
            await settle(app, pilot)
            error = app.screen.query_one("#pp-search-error", Static)
            assert error.display and shows(app, DB_DOWN), screen_text(app)
            table = app.screen.query_one("#pp-table", DataTable)
            assert app.focused is table
            error.update("")  # so that the reload must say it again
            error.display = False
            await pilot.press("r")
            await settle(app, pilot)
            assert error.display and shows(app, DB_DOWN), screen_text(app)
            assert table.row_count == 0
            assert_no_traceback(app)
            assert not app.unexpected_errors, app.unexpected_errors

            server.start()
            await pilot.press("r")  # the first try after the restart works
            await settle(app, pilot)
            assert table.row_count > 0, screen_text(app)
            assert not error.display and not shows(app, DB_DOWN)
            await pilot.press("f1")
            title = app.screen.query_one("#info-title", Static)
            title.update("")  # so that only a new answer can put the name back
            await settle(app, pilot)
            await pilot.press("f1")
            await settle(app, pilot)
            assert COMPANY_NAME_TITLE in screen_text(app)
            assert not shows(app, DB_DOWN)
            assert not app.unexpected_errors, app.unexpected_errors

    try:
        run(body)
    finally:
        if not server.is_running():
            server.start()
    logged = log_path(settings).read_text(encoding="utf-8")  # for the people on call
    for where in ("company_info", "portplus.list"):
        assert f"WARNING portplus.ui pid={os.getpid()}: database error in {where}" in logged
    assert "Connection refused" in logged


# =================================================================== SMTP server down
class MailCatcher:
    """aiosmtpd handler that keeps the messages it accepts."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 2.0.0 accepted"

    def last_code(self) -> str:
        msg = email.message_from_bytes(self.messages[-1], policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",)).get_content()
        found = re.search(r"^(\d{6})\s*$", body, re.MULTILINE)
        assert found, body
        remember_code(found.group(1))
        return found.group(1)


def start_smtp(port: int) -> tuple[Controller, MailCatcher]:
    catcher = MailCatcher()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, catcher


def test_smtp_server_down_during_a_two_step_login(tmp_path):
    port = free_port()
    settings = make_settings(tmp_path, mail_backend="smtp", smtp_host="127.0.0.1",
                             smtp_port=port, smtp_security="none", smtp_timeout=5)
    clock = FakeClock()
    ctx = AppContext.open(settings, clock=clock, migrate=True)
    demo.seed(ctx)
    member_no, login_id, password = TWO_FACTOR
    account = (m.Account.select().join(m.Company)
               .where((m.Company.member_no == member_no) & (m.Account.login_id == login_id))
               .get())

    # a real server that was running, then stopped: nothing listens on the port now
    controller, _ = start_smtp(port)
    controller.stop()
    setup_logging(settings)
    app = PortPlusApp(settings, ctx=ctx, clock=clock)
    controllers: list[Controller] = []

    async def body():
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await login(app, pilot, TWO_FACTOR)
            assert isinstance(app.screen, LoginScreen), type(app.screen)
            error = app.screen.query_one("#login-error", Static)
            assert error.display and MAIL_FAILED in str(error.render())
            assert shows(app, MAIL_FAILED)
            assert_no_traceback(app)
            assert not app.unexpected_errors, app.unexpected_errors
            # nothing half-done: no code exists, the right password is not a failure
            assert m.OtpChallenge.select().count() == 0
            row = m.Account.get_by_id(account.id)
            assert row.failed_count == 0 and row.locked_until is None
            last = (m.AuditLog.select().where(m.AuditLog.account == account.id)
                    .order_by(m.AuditLog.id.desc()).first())
            assert last.action == "login.failure" and '"reason": "mail"' in last.after

            # the server is back: the same login now works end to end
            controller2, catcher = start_smtp(port)
            controllers.append(controller2)
            # the form kept 会員番号 and アカウント; the password is typed again
            assert app.focused.id == "password" and app.focused.value == ""
            burst(app, password + "\r")
            await settle(app, pilot)
            assert isinstance(app.screen, OtpScreen), screen_text(app)
            assert len(catcher.messages) == 1
            assert m.OtpChallenge.select().count() == 1
            burst(app, catcher.last_code() + "\r")
            await settle(app, pilot)
            assert isinstance(app.screen, MainScreen), screen_text(app)
            assert not app.unexpected_errors, app.unexpected_errors

    try:
        run(body)
    finally:
        for started in controllers:
            started.stop()
        auth.wait_for_mail(timeout=10)
        ctx.close()
    logged = log_path(settings).read_text(encoding="utf-8")
    assert f"not sent via 127.0.0.1:{port}" in logged and "ConnectionRefusedError" in logged
    assert "one-time password mail for account" in logged
    assert password not in logged and "$2b$" not in logged


# =================================================================== unusable database at start
def seeded_database(folder: Path) -> Path:
    """A demo database file in ``folder``, closed (no -wal or -shm file left)."""
    settings = make_settings(folder)
    ctx = AppContext.open(settings, migrate=True)
    demo.seed(ctx)
    ctx.close()
    path = folder / "portplus.db"
    assert path.is_file()
    return path


def test_a_read_only_database_file_is_explained_at_login(tmp_path):
    """The file opens (reading works) but the first write of the login fails: the login
    screen must say that the database is read-only (see tests/fault_support.py for how
    the file is made read-only for root too)."""
    db_file = seeded_database(tmp_path / "db")
    settings = make_settings(tmp_path / "home", database_url=f"sqlite:///{db_file}")
    app = PortPlusApp(settings)

    async def body():
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await login(app, pilot, ADMIN)
            assert isinstance(app.screen, LoginScreen)
            assert app.is_running
            assert shows(app, DB_READ_ONLY), screen_text(app)
            assert_no_traceback(app)
            assert not app.unexpected_errors, app.unexpected_errors

    with unwritable(db_file):
        run(body)
    logged = log_path(settings).read_text(encoding="utf-8")
    assert "database error in login" in logged and "readonly database" in logged


@pytest.mark.parametrize("problem", ["file_in_the_way", "folder_not_writable"])
def test_a_database_that_cannot_be_created_is_explained_at_start(tmp_path, problem):
    if problem == "file_in_the_way":  # the URL's folder cannot exist: a file has its name
        (tmp_path / "plain-file").write_text("not a folder")
        db_file = tmp_path / "plain-file" / "data" / "portplus.db"
        guard = contextlib.nullcontext()
    else:  # the folder exists, but the database file may not be created in it
        folder = tmp_path / "locked"
        folder.mkdir()
        db_file = folder / "portplus.db"
        guard = unwritable(folder)
    settings = make_settings(tmp_path / "home", database_url=f"sqlite:///{db_file}")
    app = PortPlusApp(settings)

    async def body():
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(app, pilot)
            assert app.db_state == "failed"
            assert shows(app, DB_OPEN_FAILED) and shows(app, CANNOT_OPEN_FILE), screen_text(app)
            assert str(db_file) in app.db_message
            assert_no_traceback(app)
            # ログイン tries again, says so again; still running, nothing unexpected
            await login(app, pilot, ADMIN)
            assert isinstance(app.screen, LoginScreen) and app.is_running
            assert app.db_state == "failed" and shows(app, CANNOT_OPEN_FILE)
            assert_no_traceback(app)
            assert not app.unexpected_errors, app.unexpected_errors

    with guard:
        run(body)
    assert not db_file.exists()
