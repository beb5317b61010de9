"""Unexpected errors and an unusable database: a notification or a sentence, a log entry,
and the app keeps running (never a traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portplus_tui.logs import log_path
from portplus_tui.services import companies
from portplus_tui.ui.app import PortPlusApp
from portplus_tui.ui.base import guarded
from portplus_tui.ui.screens.login import LoginScreen
from portplus_tui.ui.screens.main import MainScreen
from portplus_tui.ui.widgets.form_button import FormButton

from .support import ADMIN, SIZE, app_test, login, make_settings, notifications, run, screen_text, settle

ROOT = Path(__file__).resolve().parents[2]


def test_an_exception_in_a_handler_is_logged_and_notified(make_app, settings, monkeypatch):
    def broken(self):
        raise RuntimeError("boom in a handler")

    monkeypatch.setattr(LoginScreen, "action_forgot", broken)
    app = make_app()

    async def body():
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(app, pilot)
            await pilot.press("f2")  # bound to the broken action
            await settle(app, pilot)
            app.screen.query_one("#forgot", FormButton).press()  # and through a button handler
            await settle(app, pilot)
            assert [type(e) for e in app.unexpected_errors] == [RuntimeError, RuntimeError]
            assert any("予期しないエラーが発生しました" in text for text in notifications(app))
            assert "Traceback" not in screen_text(app)
            # still running and usable
            await login(app, pilot, ADMIN)
            assert isinstance(app.screen, MainScreen)
            app.unexpected_errors.clear()

    run(body)
    logged = log_path(settings).read_text(encoding="utf-8")
    assert "RuntimeError: boom in a handler" in logged


def test_an_exception_in_a_service_worker_is_logged_and_notified(make_app, settings,
                                                                 monkeypatch):
    def broken(ctx, session):
        raise KeyError("boom in a worker")

    monkeypatch.setattr(companies, "company_info", broken)
    app = make_app()

    async def body():
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await login(app, pilot, ADMIN)
            assert isinstance(app.screen, MainScreen)
            assert [type(e) for e in app.unexpected_errors] == [KeyError]
            assert any("予期しないエラー" in text for text in notifications(app))
            await pilot.press("f2")
            await settle(app, pilot)
            assert "二段階認証" in screen_text(app)
            app.unexpected_errors.clear()

    run(body)
    assert "boom in a worker" in log_path(settings).read_text(encoding="utf-8")


@app_test(as_=ADMIN)
async def test_an_exception_in_a_timer_callback_is_not_fatal(app, pilot, monkeypatch) -> None:
    """Timers call back outside any message handler: ``guarded`` wraps them."""

    calls = []

    def broken(now):  # fails once (the real one-second timer may call it too)
        calls.append(now)
        if len(calls) == 1:
            raise ValueError("boom in a timer")
        return False

    monkeypatch.setattr(app.session_watch, "idle_over", broken)
    # what the app's one-second interval timer runs
    await guarded(app, app.session_watch.tick)()
    await settle(app, pilot)
    assert [type(e) for e in app.unexpected_errors] == [ValueError]
    assert isinstance(app.screen, MainScreen)
    app.unexpected_errors.clear()


@pytest.mark.parametrize("problem", ["readonly", "not_a_database", "bad_url"])
def test_a_database_that_cannot_be_opened_is_explained_on_the_login_screen(tmp_path, problem):
    if problem == "readonly":
        if os.geteuid() == 0:
            # root ignores file modes: a directory where the file should be instead
            (tmp_path / "portplus.db").mkdir()
        else:
            (tmp_path / "portplus.db").write_bytes(b"")
            (tmp_path / "portplus.db").chmod(0o444)
        settings = make_settings(tmp_path)
    elif problem == "not_a_database":
        (tmp_path / "portplus.db").write_bytes(b"this is not a database file" * 100)
        settings = make_settings(tmp_path)
    else:
        settings = make_settings(tmp_path, database_url="mysql://nowhere/db")
    app = PortPlusApp(settings)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            assert app.db_state == "failed"
            status = app.screen.query_one("#db-status")
            assert status.display
            text = screen_text(app)
            assert "データベースを開けませんでした" in text
            assert "Traceback" not in text
            # ログイン tries again and says so again, still no traceback
            for name, value in (("member_no", ADMIN[0]), ("login_id", ADMIN[1]),
                                ("password", ADMIN[2])):
                app.screen.query_one(f"#{name}").value = value
            app.screen.query_one("#login", FormButton).press()
            await settle(app, pilot)
            assert isinstance(app.screen, LoginScreen)
            assert "データベースを開けませんでした" in screen_text(app)
            assert not app.unexpected_errors

    run(body)


def test_first_paint_does_not_import_the_data_layer():
    code = (
        "import sys\n"
        "from portplus_tui.config import Settings\n"
        "from portplus_tui.ui.app import PortPlusApp\n"
        "app = PortPlusApp(Settings())\n"
        "screen = __import__('portplus_tui.ui.screens.login', fromlist=['x']).LoginScreen()\n"
        "heavy = {'peewee', 'psycopg', 'bcrypt', 'jpholiday', 'playhouse'} & set(sys.modules)\n"
        "ours = sorted(m for m in sys.modules if m.startswith(('portplus_tui.services',"
        " 'portplus_tui.store')))\n"
        "print(sorted(heavy), ours)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[] []"


def test_an_error_textual_cannot_recover_from_ends_with_one_line_and_no_locals(
        make_app, settings, monkeypatch, capsys):
    """An exception outside our handlers (here: drawing the password field) ends the
    app, as Textual does, but with our one-line message and the log path: never Rich's
    traceback with local variables, which would print what was typed."""
    from portplus_tui.ui.widgets.inputs import PasswordInput

    typed = "typed-secret-42"

    def broken_render_line(self, y):
        secret = self.value  # a local variable holding the password
        if secret:
            raise RuntimeError("boom while drawing")
        return original(self, y)

    original = PasswordInput.render_line
    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            monkeypatch.setattr(PasswordInput, "render_line", broken_render_line)
            app.screen.query_one("#password", PasswordInput).value = typed
            for _ in range(20):
                await pilot.pause()
                if app.return_code is not None:
                    break

    with pytest.raises(Exception) as raised:
        run(body)
    assert typed not in str(raised.value) and "Traceback" not in str(raised.value)
    assert app.return_code == 1
    assert [type(e) for e in app.unexpected_errors] == [RuntimeError]
    app.unexpected_errors.clear()
    out = capsys.readouterr()
    assert typed not in out.out + out.err and "secret" not in out.err
    logged = log_path(settings).read_text(encoding="utf-8")
    assert "RuntimeError: boom while drawing" in logged and typed not in logged
