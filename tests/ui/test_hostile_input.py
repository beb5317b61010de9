"""Hostile input (issue 6): random text typed or pasted into every input of every screen,
then submitted. The app never crashes, never shows a traceback, reports nothing
unexpected, never repeats a control character raw outside the field it was typed in,
and a refusal leaves the database as it was, except for what the flow records by design
(failed logins and codes are counted and audited). Input a screen accepts is followed
through: saved, then shown by the lists and the audit log that display it.

Every text field: login (会員番号, アカウント, パスワード), the one-time password, password
reset (会員番号, メールアドレス; code, new password twice), account 新規登録 (all seven
fields; 権限 is a Select) and 更新 of one's own account (with the password fields), the
ポートプラス search bar (月, from, to), the new and change application forms (適用日,
追加ポート数, 申込者), the CSV export file name, and the command palette. The audit log has
no filter field; it is read after the login and account examples, whose text it shows.

Hypothesis draws the examples (tests/ui/hostile.py: what is drawn, how it is typed,
what is checked); one app per test serves all of them. A failure prints the seed:
``PORTPLUS_FUZZ_SEED=<seed>`` replays it; ``PORTPLUS_FUZZ_EXAMPLES=<n>`` sets the
number of examples of every test.
"""

from __future__ import annotations

import logging
import os

import pytest
from hypothesis import strategies as st
from textual.command import CommandInput, CommandPalette
from textual.widgets import DataTable, Input, Select

from portplus_tui.ui.panes.accounts import AccountsPane
from portplus_tui.ui.panes.portplus import PortPlusPane
from portplus_tui.ui.screens.account_form import AccountFormScreen
from portplus_tui.ui.screens.application_form import ApplicationFormScreen
from portplus_tui.ui.screens.audit_log import AuditEntryScreen, AuditLogScreen
from portplus_tui.ui.screens.confirm import ConfirmModal
from portplus_tui.ui.screens.login import LoginScreen
from portplus_tui.ui.screens.main import MainScreen
from portplus_tui.ui.screens.otp import OtpScreen
from portplus_tui.ui.screens.portplus_dialogs import ExportModal
from portplus_tui.ui.screens.reset import ResetScreen

from . import hostile as h
from .hostile import allowed, entry, form, mixed_form
from .support import ADMIN, SIZE, TWO_FACTOR, USER, login, run, settle

NOTHING = h.Allowed()


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture
def errors(settings):
    """ERROR records of the ``portplus`` loggers during the test; none in the log files."""
    handler = h.ErrorRecords()
    logger = logging.getLogger("portplus")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
    assert not h.log_errors(settings.resolved_log_dir), h.log_errors(settings.resolved_log_dir)


@pytest.fixture(autouse=True)
def _no_debounce(monkeypatch):
    """The application form asks for the deadline at once (no timer to wait for)."""
    monkeypatch.setattr(ApplicationFormScreen, "DEBOUNCE", 0)


# ----------------------------------------------------------------------------- helpers
async def fill(app, pilot, screen, values: dict, order: tuple[str, ...], *,
               exact: tuple[str, ...] = ()) -> None:
    """Fill the fields ``values`` names in the screen's ``order`` (the last one keeps
    the focus); the plain fields named in ``exact`` must hold what was typed (a paste:
    its first line). Each field's keys are a burst; the app settles before the focus
    moves on (``put`` moves it with ``focus()``, which, not being input, does not wait
    for the keys before it: ui/typeahead.py)."""
    old = {}
    for name in order:
        if name in values:
            old[name] = h.put(app, screen.query_one(f"#{name}", Input), values[name])
            await h.settle(app, pilot)
    for name in exact:
        widget = screen.query_one(f"#{name}", Input)
        assert widget.value == h.expected_value(*values[name], old[name]), (
            name, h.shown(values[name]), widget.value[:80])


async def press(app, pilot, *keys: str) -> None:
    """Keys, then wait (quickly) until the app has handled them and what they started."""
    h.press(app, *keys)
    await h.settle(app, pilot)


def described(values: dict) -> str:
    return ", ".join(f"{name}={h.shown(value)}" for name, value in values.items())


def error_shown(screen) -> bool:
    return any(widget.display and str(widget.render()).strip()
               for widget in screen.query(".field-error, .form-error"))


async def wait_for(app, pilot, predicate, rounds: int = 60) -> None:
    for _ in range(rounds):
        await h.settle(app, pilot)
        if predicate():
            return
        await pilot.pause()
    raise AssertionError("condition not reached")


async def log_in(app, pilot, clock, settings, creds, expect=(MainScreen,)):
    """From the login screen (after any example): log in; an account the examples
    locked is waited out on the test's clock."""
    for _ in range(2):
        screen = app.screen
        assert isinstance(screen, LoginScreen), type(screen)
        screen.query_one("#member_no", Input).value = creds[0]
        screen.query_one("#login_id", Input).value = creds[1]
        password = screen.query_one("#password", Input)
        password.value = creds[2]
        password.focus()
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        if isinstance(app.screen, expect):
            return app.screen
        clock.advance(minutes=settings.lockout_minutes + 1)
    raise AssertionError(f"cannot log in as {creds[1]}")


async def open_pane(app, pilot, key: str, pane_type):
    await pilot.press(key)
    pane = app.screen.query_one(pane_type)
    await settle(app, pilot)
    return pane


async def read_audit_log(app, pilot, errors, what: str, pages: int = 2) -> None:
    """アカウント管理 -> 監査ログ: every entry of the first pages, and its details."""
    pane = await open_pane(app, pilot, "f4", AccountsPane)
    pane.query_one("#accounts-table", DataTable).focus()
    await pilot.press("a")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, AuditLogScreen)
    table = screen.query_one("#audit-table", DataTable)
    for _ in range(pages):
        h.assert_sane(app, (AuditLogScreen,), errors, what)
        for row in range(min(table.row_count, 12)):
            table.move_cursor(row=row)
            await press(app, pilot, "enter")
            h.assert_sane(app, (AuditEntryScreen,), errors, f"{what}: audit entry {row}")
            await press(app, pilot, "escape")
        await press(app, pilot, "pagedown")
    await pilot.press("escape")
    await settle(app, pilot)
    h.assert_sane(app, (MainScreen,), errors, what)


# ----------------------------------------------------------------------------- login
MEMBER_NOS = [ADMIN[0], "m97-00339", "Ｍ９７－００３３９", TWO_FACTOR[0], " M97-00339 "]
LOGIN_IDS = [ADMIN[1], USER[1], "ADMIN@EXAMPLE.COM", "ａｄｍｉｎ@example.com"]
#: never the right password: every login is refused
WRONG_PASSWORDS = ["wrong-password-1", "DEMO-ADMIN-1", "demo-admin-", "ｄｅｍｏ-admin-1"]


def test_login_screen(make_app, errors, clock, settings):
    app = make_app()
    fields = ("member_no", "login_id", "password")
    strategy = form(member_no=entry(MEMBER_NOS), login_id=entry(LOGIN_IDS),
                    password=entry(WRONG_PASSWORDS))

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, LoginScreen)

            async def check(values: dict) -> None:
                what = "login " + described(values)
                before = h.snapshot()
                await fill(app, pilot, screen, values, fields, exact=fields)
                await press(app, pilot, "enter")  # in パスワード: ログイン
                h.assert_sane(app, (LoginScreen,), errors, what)
                assert app.screen is screen and app.session is None, what
                assert error_shown(screen), what
                after = h.assert_db(before, h.FAILURE_COUNTERS, what)
                h.outcome("login", "refused by the service" if h.new_audit(before, after)
                          else "refused on the screen")

            await h.fuzz(strategy, check, max_examples=45, name="login")
            # The failures are in the audit log, with what was typed as the actor.
            await log_in(app, pilot, clock, settings, ADMIN)
            await read_audit_log(app, pilot, errors, "audit log after the login examples")

    run(body)


# ----------------------------------------------------------------------------- two-step login
def test_one_time_password(make_app, errors, clock, settings):
    app = make_app()
    strategy = entry(["000000", "１２３４５６", "123 456", "12-34-56", "1234567", "-", " "])
    # A wrong code counts towards the code's attempts and the account lockout; after
    # five the attempt is over (back to the login screen) and the next example logs in
    # again (waiting out a lockout on the test's clock).
    rule = h.FAILURE_COUNTERS | allowed(
        {"OtpChallenge": ("failures", "voided", "version")},
        audit=("otp.failure", "otp.voided"))

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)

            async def check(value) -> None:
                what = "one-time password " + h.shown(value)
                if isinstance(app.screen, LoginScreen):
                    await log_in(app, pilot, clock, settings, TWO_FACTOR, expect=(OtpScreen,))
                screen = app.screen
                assert isinstance(screen, OtpScreen), what
                before = h.snapshot()
                await fill(app, pilot, screen, {"code": value}, ("code",))
                await press(app, pilot, "enter")  # 確定
                h.assert_sane(app, (OtpScreen, LoginScreen), errors, what)
                assert app.session is None, what
                assert error_shown(app.screen) or app.screen.query_one("#login-notice").display
                after = h.assert_db(before, rule, what)
                h.outcome("one-time password",
                          "attempt over" if app.screen is not screen
                          else "wrong code" if h.new_audit(before, after)
                          else "refused on the screen")

            await h.fuzz(strategy, check, max_examples=40, name="one-time password")

    run(body)


# ----------------------------------------------------------------------------- password reset
async def open_reset(app, pilot) -> ResetScreen:
    await settle(app, pilot)
    await pilot.press("f2")
    await settle(app, pilot)
    assert isinstance(app.screen, ResetScreen)
    return app.screen


def test_reset_request(make_app, errors):
    app = make_app()
    fields = ("member_no", "email")
    strategy = mixed_form(member_no=(MEMBER_NOS, []),
                          email=(LOGIN_IDS + ["nobody@example.com"], []))
    # The answer is the same whether or not the account exists; for a live one a code
    # is stored (and mailed). Nothing else may change.
    rule = allowed({"ResetToken": ("voided", "version")}, rows=("ResetToken",),
                   audit=("password.reset_request",))

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_reset(app, pilot)

            async def check(values: dict) -> None:
                what = "reset request " + described(values)
                before = h.snapshot()
                await fill(app, pilot, screen, values, fields, exact=fields)
                await press(app, pilot, "enter")  # in メールアドレス: 送信
                h.assert_sane(app, (ResetScreen,), errors, what)
                after = h.assert_db(before, rule, what)
                if screen.step == "step-complete":  # accepted (the same answer for all)
                    assert h.new_audit(before, after) == ["password.reset_request"], what
                    h.outcome("reset request", "accepted")
                    await press(app, pilot, "escape")  # back to step 1
                else:
                    assert screen.step == "step-request" and error_shown(screen), what
                    assert h.new_audit(before, after) == [], what
                    h.outcome("reset request", "refused")

            await h.fuzz(strategy, check, max_examples=40, name="reset request")

    run(body)


def test_reset_with_code(make_app, errors):
    app = make_app()
    fields = ("code", "new_password", "new_password_confirm")
    passwords = (["new-secret-42", "an0ther-pass!"],
                 ["ｎｅｗ-secret-42", "short1", "a" * 21 + "1", "password1", "admin@example.com1"])
    strategy = h.confirmed(mixed_form(
        code=(["ABCD-2345", "abcd2345", "ＡＢＣＤ－２３４５", "WXYZ 6789"],  # the format, not the code
              ["-", "ABCD-23456", "ABCD-1234"]),
        new_password=passwords, new_password_confirm=passwords),
        "new_password", "new_password_confirm")
    # Wrong codes count towards the code (then void it); the password stays as it was.
    rule = allowed({"ResetToken": ("failures", "voided", "version")},
                   audit=("password.reset_failure",))

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_reset(app, pilot)
            screen.query_one("#member_no", Input).value = ADMIN[0]
            screen.query_one("#email", Input).value = ADMIN[1]
            screen.query_one("#send").press()
            await wait_for(app, pilot, lambda: screen.step == "step-complete")

            async def check(values: dict) -> None:
                what = "reset " + described(values)
                before = h.snapshot()
                await fill(app, pilot, screen, values, fields, exact=fields)
                await press(app, pilot, "enter")  # in the confirmation: 再設定
                h.assert_sane(app, (ResetScreen,), errors, what)
                assert screen.step == "step-complete" and error_shown(screen), what
                after = h.assert_db(before, rule, what)
                h.outcome("reset with code", "wrong code" if h.new_audit(before, after)
                          else "refused before the code")

            await h.fuzz(strategy, check, max_examples=40, name="reset with code")

    run(body)


# ----------------------------------------------------------------------------- accounts
ACCOUNT_FIELDS = ("name", "login_id", "password", "password_confirm", "department", "phone",
                  "expires")
#: new, valid login IDs (mostly unused yet: an account can be created)
NEW_LOGIN_IDS = st.builds("{}{}@{}".format, st.sampled_from(["fuzz", "Fuzz.", "f_z+"]),
                          st.integers(0, 10**6), st.sampled_from(["example.com", "Example.COM"]))
OWN_FIELDS = ("name", "current_password", "new_password", "new_password_confirm", "department",
              "phone", "expires")
NAMES = (["田中 次郎", "[bold]太郎[/]", "😀 絵文字", "e\u0301mile", "ＡＢＣ", "髙橋\u3000一",
          "مرحبا", "{name} %s"], ["", " ", "x" * 51])
DEPARTMENTS = (["経理部", "[red]営業[/red]", "Ｒ＆Ｄ", "部署\u3000二"], ["", "\u3000"])
PHONES = (["", "03-5555-0000", "０３－５５５５－００００", "+81 3 5555 0000"],
          ["abc", "03-5555-0000-1234-5678-9012-3456"])
EXPIRES = (["2030-03-31", "20301231"], ["2026-02-30", "1999-01-01", "2026-03-01"])


async def open_accounts(app, pilot) -> AccountsPane:
    pane = await open_pane(app, pilot, "f4", AccountsPane)
    pane.query_one("#accounts-table", DataTable).focus()
    await settle(app, pilot)
    return pane


def test_new_account_form(make_app, errors, clock, settings):
    app = make_app()
    passwords = (["tanaka-pass-7", "Pass-word-9x!"],
                 ["Ｐａｓｓ-word-9x", "short1", "password1", "a" * 30 + "1"])
    strategy = st.tuples(
        h.confirmed(mixed_form(
            name=NAMES, login_id=(NEW_LOGIN_IDS, [ADMIN[1], "USER@example.com", "a@b", "@",
                                                  "ｆｕｚｚ@example.com"]),
            password=passwords, password_confirm=passwords, department=DEPARTMENTS,
            phone=PHONES, expires=EXPIRES), "password", "password_confirm"),
        st.sampled_from(["admin", "user", "admin", "user", "admin", "user", "user", None]))
    created = allowed(rows=("Account", "ChangeLog"), audit=("account.create",))

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await log_in(app, pilot, clock, settings, ADMIN)
            pane = await open_accounts(app, pilot)

            async def check(example) -> None:
                values, role = example
                what = f"new account role={role} " + described(values)
                if not isinstance(app.screen, AccountFormScreen):
                    pane.query_one("#accounts-table", DataTable).focus()
                    await press(app, pilot, "n")
                screen = app.screen
                assert isinstance(screen, AccountFormScreen) and screen.is_new, what
                before = h.snapshot()
                screen.query_one("#role", Select).value = Select.NULL if role is None else role
                await fill(app, pilot, screen, values, ACCOUNT_FIELDS,
                           exact=ACCOUNT_FIELDS[:-1])
                await press(app, pilot, "enter")  # in 有効期限: 新規登録
                h.assert_sane(app, (AccountFormScreen, MainScreen), errors, what)
                if app.screen is screen:  # refused
                    assert error_shown(screen), what
                    h.assert_db(before, NOTHING, what)
                    h.outcome("new account", "refused")
                    return
                # Accepted: one account more, shown in the list (its text drawn safely).
                after = h.assert_db(before, created, what)
                new = h.added(before, after, "Account")
                assert len(new) == 1 and h.new_audit(before, after) == ["account.create"], what
                await h.settle(app, pilot)
                table = pane.query_one("#accounts-table", DataTable)
                names = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
                assert new[0]["name"] in names, what
                h.assert_sane(app, (MainScreen,), errors, what)
                h.outcome("new account", "created")

            await h.fuzz(strategy, check, max_examples=35, name="new account")
            if isinstance(app.screen, AccountFormScreen):
                app.screen.dismiss(None)
                await settle(app, pilot)
            await read_audit_log(app, pilot, errors, "audit log after the account examples")

    run(body)


def test_own_account_update_form(make_app, errors, clock, settings):
    app = make_app()
    # Never the right current password: the password change is always refused (after
    # the policy check of the new one), so the test can log in again with it.
    wrong = ["wrong-password-1", "", "DEMO-ADMIN-1"]
    passwords = (["new-secret-42", ""], ["ｎｅｗ-secret-42", "short1", "password1"])
    strategy = h.confirmed(mixed_form(
        name=NAMES, department=DEPARTMENTS, phone=PHONES,
        expires=(["9999-12-31"], ["2030-03-31", "2026-02-30", "2026-03-01"]),
        current_password=(wrong, []), new_password=passwords, new_password_confirm=passwords),
        "new_password", "new_password_confirm")
    # ... and as often, the password fields left empty: the update alone is saved.
    strategy = st.one_of(strategy, strategy.map(
        lambda values: {**values, **{name: ("paste", "") for name in OWN_FIELDS[1:4]}}))
    own_columns = ("name", "department", "phone", "expires", "version", "updated_at")
    refused = h.FAILURE_COUNTERS | allowed(audit=("password.change_failure",))
    saved = refused | allowed({"Account": own_columns}, audit=("account.update",))

    async def body():
        async with app.run_test(size=SIZE) as pilot:

            async def open_form() -> AccountFormScreen:
                if isinstance(app.screen, LoginScreen):  # locked out by wrong passwords
                    await log_in(app, pilot, clock, settings, ADMIN)
                if not isinstance(app.screen, AccountFormScreen):
                    pane = await open_accounts(app, pilot)
                    table = pane.query_one("#accounts-table", DataTable)
                    own = next(i for i, account in enumerate(pane.accounts)
                               if account.login_id == ADMIN[1])
                    table.move_cursor(row=own)
                    await pilot.press("enter")
                    await settle(app, pilot)
                assert isinstance(app.screen, AccountFormScreen) and app.screen.is_self
                return app.screen

            await log_in(app, pilot, clock, settings, ADMIN)

            async def check(values: dict) -> None:
                what = "own account " + described(values)
                screen = await open_form()
                before = h.snapshot()
                own_id = screen.account.id
                await fill(app, pilot, screen, values, OWN_FIELDS, exact=OWN_FIELDS[:-1])
                await press(app, pilot, "enter")  # 更新
                h.assert_sane(app, (AccountFormScreen, MainScreen, LoginScreen), errors, what)
                if app.screen is screen and not screen.query_one("#account-form-notice").display:
                    assert error_shown(screen), what
                    h.assert_db(before, refused, what)
                    h.outcome("own account", "refused")
                    return
                after = h.assert_db(before, saved | allowed(audit=("logout",)), what)
                assert h.changed(before, after, "Account") in ([], [(own_id,)]), what
                if isinstance(app.screen, LoginScreen):  # locked by wrong passwords
                    assert "logout" in h.new_audit(before, after), what
                elif isinstance(app.screen, MainScreen):  # saved: the list shows the name
                    table = app.screen.query_one("#accounts-table", DataTable)
                    await wait_for(app, pilot, lambda: after["Account"][(own_id,)]["name"] in {
                        str(table.get_row_at(i)[0]) for i in range(table.row_count)})
                    h.assert_sane(app, (MainScreen,), errors, what)
                h.outcome("own account", type(app.screen).__name__)

            # Regression: the same for 有効期限 (a MaskedInput then).
            keep = {name: ("over-keys", "") for name in OWN_FIELDS}
            await h.fuzz(strategy, check, max_examples=30, name="own account",
                         explicit=[{**keep, "expires": ("over-keys", "x")},
                                   {**keep, "expires": ("over-paste", "Ⅻ")}])

    run(body)


# ----------------------------------------------------------------------------- ポートプラス
DATES = (["2026-03-06", "２０２６－０３－０９", "20260310", "2026/03/11"],
         ["2026-02-30", "2026-03-02", "2027-12-31", "0000-00-00"])
PORTS = (["1", "１２", "999", " 5 "], ["0", "1000", "-1", "1e3", "５.５"])
APPLICANTS = (["", "[bold]山田[/]", "😀 申込", "e\u0301mile", "ＡＢＣ", "{0}%s", "مرحبا"],
              ["x" * 60, "\u3000"])


async def open_list(app, pilot, clock, settings) -> PortPlusPane:
    await log_in(app, pilot, clock, settings, ADMIN)
    pane = await open_pane(app, pilot, "f3", PortPlusPane)
    await wait_for(app, pilot, lambda: pane.page is not None)
    pane.query_one("#pp-table").focus()
    await settle(app, pilot)
    return pane


def test_search_bar(make_app, errors, clock, settings):
    app = make_app()
    strategy = st.tuples(mixed_form(**{
        "pp-month": (["2026-03", "２０２６－０２", "202603"], ["2026-13", "2026/01", "0000-00"]),
        "pp-from": (["2026-02-21", "２０２６－０３－０１"], DATES[0] + DATES[1]),
        "pp-to": (["2026-03-20", "20260331"], DATES[0] + DATES[1]),
    }), st.sampled_from(["pp-month", "pp-from", "pp-to"]))

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, clock, settings)

            async def check(example) -> None:
                values, submit_in = example
                what = f"search (Enter in {submit_in}) " + described(values)
                before = h.snapshot()
                # The field Enter is pressed in is filled last (it keeps the focus).
                order = [name for name in values if name != submit_in] + [submit_in]
                await fill(app, pilot, pane, values, tuple(order))
                await press(app, pilot, "enter")
                h.assert_sane(app, (MainScreen,), errors, what)
                assert pane.view_mode == "list", what
                h.assert_db(before, NOTHING, what)
                shown = pane.query_one("#pp-search-error").display
                h.outcome("search bar", "refused" if shown else "listed")

            # Regression: a key over the selected text of a date field (Tab or / selects
            # it) went through MaskedInput.replace unchecked; a letter or a full-width
            # digit raised ValueError and ended the app.
            over = {"pp-month": ("over-keys", "２"), "pp-from": ("over-keys", "a"),
                    "pp-to": ("over-paste", "İ")}
            await h.fuzz(strategy, check, max_examples=40, name="search bar",
                         explicit=[(over, "pp-month"), (over, "pp-to")])

    run(body)


@pytest.mark.parametrize("mode", ["new", "change"])
def test_application_form(make_app, errors, clock, settings, mode):
    app = make_app()
    strategy = mixed_form(apply_date=DATES, ports=PORTS, applicant=APPLICANTS)
    action = f"application.{mode}"
    written = allowed({"Application": ("apply_date", "ports", "applicant", "revision",
                                       "version", "updated_at"),
                       "DayCount": ("active", "cancelled", "active_ports")},
                      rows=("Application", "ApplicationRevision", "DayCount", "ChangeLog"),
                      audit=(action,))

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, clock, settings)
            target = next(view for view in pane.rows if view.can_modify).id

            async def open_form() -> ApplicationFormScreen:
                if not isinstance(app.screen, ApplicationFormScreen):
                    table = pane.query_one("#pp-table", DataTable)
                    table.focus()
                    if mode == "new":
                        await pilot.press("n")
                    else:
                        await wait_for(app, pilot, lambda: any(v.id == target for v in pane.rows))
                        index = next(i for i, v in enumerate(pane.rows) if v.id == target)
                        table.move_cursor(row=index)
                        await settle(app, pilot)
                        await pilot.press("enter")
                    await settle(app, pilot)
                screen = app.screen
                assert isinstance(screen, ApplicationFormScreen) and screen.mode == mode
                return screen

            async def check(values: dict) -> None:
                what = f"{mode} application " + described(values)
                screen = await open_form()
                before = h.snapshot()
                await fill(app, pilot, screen, values, ("apply_date", "ports", "applicant"))
                await press(app, pilot, "enter")  # in 申込者: 内容を確認
                h.assert_sane(app, (ApplicationFormScreen,), errors, what)
                if screen.step == "edit":  # refused here
                    assert error_shown(screen), what
                    h.assert_db(before, NOTHING, what)
                    h.outcome(f"{mode} application", "refused on the form")
                    return
                assert screen.step == "review", what
                await press(app, pilot, "enter")  # 新規申込 / 変更申込 has the focus
                h.assert_sane(app, (ApplicationFormScreen, ConfirmModal), errors, what)
                if screen.step != "done":  # refused by the service
                    h.assert_db(before, NOTHING, what)
                    h.outcome(f"{mode} application", "refused when sent")
                    if isinstance(app.screen, ConfirmModal):
                        await press(app, pilot, "escape")
                    await press(app, pilot, "escape")
                    return
                # Saved: exactly that, and the list draws it with the cursor on it.
                after = h.assert_db(before, written, what)
                assert h.new_audit(before, after) == [action], what
                assert len(h.added(before, after, "ApplicationRevision")) == 1, what
                saved = screen.result
                if mode == "new":
                    assert [row["id"] for row in h.added(before, after, "Application")] == [
                        saved.id] and not h.changed(before, after, "Application"), what
                else:
                    assert saved.id == target and not h.added(before, after, "Application")
                    assert h.changed(before, after, "Application") == [(target,)], what
                row = after["Application"][(saved.id,)]
                assert (row["apply_date"], row["ports"], row["applicant"]) == (
                    saved.apply_date, saved.ports, saved.applicant), what
                await pilot.press("enter")  # 閉じる
                await wait_for(app, pilot, lambda: pane.current_row() is not None
                               and pane.current_row().id == saved.id)
                h.assert_sane(app, (MainScreen,), errors, what)
                h.outcome(f"{mode} application", "saved and listed")

            await h.fuzz(strategy, check, max_examples=30, name=f"{mode} application")

    run(body)


# ----------------------------------------------------------------------------- CSV export
def _outside(home, cwd) -> list[str]:
    return sorted(str(p.relative_to(home.parent)) for root in (home, cwd)
                  for p in root.rglob("*"))


def test_export_name(make_app, errors, clock, settings, tmp_path, monkeypatch):
    """The export takes a file NAME in the export folder (issue 11): whatever is typed,
    nothing is written outside that folder, and only ``<name>.csv`` files are left in it
    (no temporary file, nothing hidden)."""
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    (home / ".bashrc").write_text("# mine\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    folder = settings.resolved_export_dir
    app = make_app()
    plausible = ["out.csv", "~/x.csv", "no-such-dir/x.csv", ".", "~", "a\x00b.csv", "ｘ.csv",
                 "\x1b[31m.csv", "😀.csv", "x" * 300 + ".csv", "\u202egnp.csv", "../x.csv",
                 "/tmp/x.sh", "~/.bashrc", ".bashrc", "..\\x.csv", "x.CSV", "a:b"]
    strategy = entry(plausible)
    before_outside = _outside(home, cwd)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await open_list(app, pilot, clock, settings)
            await pilot.press("e")
            await settle(app, pilot)
            modal = app.screen
            assert isinstance(modal, ExportModal)
            name_input = modal.query_one("#pp-export-name", Input)

            async def check(value) -> None:
                what = "export name " + h.shown(value)
                before = h.snapshot()
                h.put(app, name_input, value)
                await press(app, pilot, "enter")  # 出力
                h.assert_sane(app, (ExportModal,), errors, what)
                assert app.screen is modal, what
                h.assert_db(before, NOTHING, what)
                assert _outside(home, cwd) == before_outside, what
                assert (home / ".bashrc").read_text() == "# mine\n", what
                left = os.listdir(folder) if folder.exists() else []
                assert all(n.lower().endswith(".csv") and not n.startswith(".")
                           and (folder / n).is_file() and not (folder / n).is_symlink()
                           for n in left), (what, left)
                h.outcome("export", "written" if modal.query_one("#pp-export-done").display
                          else "refused")

            # Regressions: a NUL in the path ended in ValueError (reported as unexpected),
            # and the path was repeated raw (ESC, NUL) in the message under the field.
            await h.fuzz(strategy, check, max_examples=30, name="export",
                         explicit=[("paste", "a\x00b.csv"), ("paste", "\x1b]0;x\x07.csv"),
                                   ("paste", "x" * 10_000), ("paste", "~/.bashrc"),
                                   ("paste", "/tmp/x.sh"), ("paste", "../../x.csv")])

    run(body)


# ----------------------------------------------------------------------------- palette
def test_command_palette(make_app, errors, clock, settings):
    app = make_app()
    strategy = entry(["アカウント", "ポートプラス", "ログ", "会社", "zzz", "[b]"])
    # Enter runs the best match, if any: a pane opens, a form, or ログアウト.
    rule = allowed(audit=("logout",))

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await log_in(app, pilot, clock, settings, ADMIN)

            async def check(value) -> None:
                what = "palette " + h.shown(value)
                if isinstance(app.screen, LoginScreen):
                    await log_in(app, pilot, clock, settings, ADMIN)
                while not isinstance(app.screen, MainScreen):  # what the last one opened
                    app.pop_screen()
                    await h.settle(app, pilot)
                before = h.snapshot()
                await press(app, pilot, "ctrl+p")
                assert CommandPalette.is_open(app), what
                h.put(app, app.screen.query_one(CommandInput), value)
                await h.settle(app, pilot)
                h.assert_sane(app, (CommandPalette,), errors, what)
                await pilot.press("enter")  # runs the best match, once the palette closed
                await settle(app, pilot)
                h.assert_sane(app, (CommandPalette, MainScreen, LoginScreen, AccountFormScreen,
                                    ApplicationFormScreen, AuditLogScreen), errors, what)
                h.outcome("command palette", type(app.screen).__name__)
                if isinstance(app.screen, CommandPalette):
                    await press(app, pilot, "escape")
                h.assert_db(before, rule, what)

            await h.fuzz(strategy, check, max_examples=20, name="command palette")

    run(body)


def test_pane_opened_as_the_app_quits(make_app):
    """Regression (found by the palette examples): a pane still being mounted when the
    app quit (or the session ended) reported NoMatches('#menu') as an unexpected error."""
    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await login(app, pilot, ADMIN)
            assert isinstance(app.screen, MainScreen)
            await settle(app, pilot)
            app.open_pane("accounts")
            await pilot.pause(0)
        assert not app.unexpected_errors

    run(body)
