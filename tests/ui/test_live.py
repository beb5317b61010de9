"""Live (issue 15, R-LIVE-1): two app instances on one database; what B commits shows
on A's screens without a key, keeping A's page, cursor and typing; A's open dialogs warn.
On SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date

import pytest
from textual.widgets import Button, DataTable, Input

from portplus_tui.services import accounts, closed_days, companies, demo
from portplus_tui.services import applications as apps
from portplus_tui.services.context import AppContext
from portplus_tui.ui.app import PortPlusApp
from portplus_tui.ui.panes.accounts import AccountsPane
from portplus_tui.ui.panes.portplus import PortPlusPane
from portplus_tui.ui.screens.confirm import ConfirmModal
from portplus_tui.ui.screens.main import MainScreen
from portplus_tui.ui.screens.portplus_dialogs import CancelModal

from .support import ADMIN, SIZE, USER, login, make_settings, run, screen_text, settle

OTHER = ("M97-00999", "other@example.com", "other-pass-1")  # another company
SECONDS = 10.0  # the longest a test waits for the feed (it needs well under one)


async def until(app, pilot, predicate, seconds: float = SECONDS) -> None:
    """Let A run (workers, timers, the watcher's messages) until ``predicate()``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await settle(app, pilot)
        if predicate():
            return
        await pilot.pause()
    raise AssertionError("the change did not show")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared(request, tmp_path, clock):
    """One seeded database; ``a`` for the watching app, ``b`` for the other session
    (each its own AppContext: its own origin; one Database object, as the models of a
    process are bound to one)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'live.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    settings = make_settings(tmp_path, database_url=url, live_poll_ms=20)
    a = AppContext.open(settings, clock=clock, migrate=True)
    demo.seed(a)
    companies.add_company(a, OTHER[0], name="Other Co", address="大阪府", ports=10)
    accounts.add_account(a, OTHER[0], OTHER[1], name="他社 管理者", role="admin",
                         department="総務部", expires="2099-12-31", password=OTHER[2])
    b = AppContext(settings=settings, db=a.db, clock=clock)
    try:
        yield a, b
    finally:
        a.close()


def session_of(ctx, creds):
    from portplus_tui.services import auth

    return auth.login(ctx, *creds).session


def new_app(ctx) -> PortPlusApp:
    return PortPlusApp(ctx.settings, ctx=ctx, clock=ctx.clock)


async def open_list(app, pilot, creds=ADMIN) -> PortPlusPane:
    await login(app, pilot, creds)
    await pilot.press("f3")
    pane = app.screen.query_one(PortPlusPane)
    await until(app, pilot, lambda: pane.page is not None)
    return pane


DAY = date(2026, 3, 6)  # a business day the demo's month holds, open for changes


async def show_day(app, pilot, pane, day: date = DAY, focus_id: int | None = None) -> None:
    """A's list: the applications of one 適用日, 100 a page, cancelled ones too."""
    pane.run_query(lambda q: q.period_query(day.isoformat(), day.isoformat(), page_size=100,
                                            include_cancelled=True), focus_id=focus_id)
    await until(app, pilot, lambda: pane.page is not None and pane.page.query.start == day)


def run_a(shared, body, size=SIZE) -> None:
    """App A on ``shared``'s first context, at the login screen:
    ``await body(app, pilot, a_ctx, b_ctx)``."""
    a_ctx, b_ctx = shared
    app = new_app(a_ctx)

    async def main():
        async with app.run_test(size=size) as pilot:
            await body(app, pilot, a_ctx, b_ctx)

    run(main)


def run_with_list(shared, body, size=SIZE) -> None:
    """The same, logged in as the admin with the list open:
    ``await body(app, pilot, pane, a_ctx, b_ctx)``."""
    async def listed(app, pilot, a_ctx, b_ctx):
        await body(app, pilot, await open_list(app, pilot), a_ctx, b_ctx)

    run_a(shared, listed, size)


async def b_made_one(app, pilot, pane, b_ctx, b):
    """B makes an application on ``DAY``; A lists that day with its cursor on it."""
    made = apps.create(b_ctx, b, apply_date=DAY, ports="3")
    await show_day(app, pilot, pane, focus_id=made.id)
    await until(app, pilot, lambda: pane.current_row() is not None
                and pane.current_row().id == made.id)
    return made


def numbers(pane) -> list[str]:
    table = pane.query_one("#pp-table", DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


def first_cells(pane) -> list[str]:
    table = pane.query_one("#pp-table", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def test_b_creates_changes_cancels_and_a_list_follows_without_a_key(shared):
    async def body(app, pilot, pane, a_ctx, b_ctx):
        await show_day(app, pilot, pane)
        b = session_of(b_ctx, USER)
        # B makes an application on the day of A's list: A shows it, marked
        made = apps.create(b_ctx, b, apply_date=DAY, ports="7")
        await until(app, pilot, lambda: made.number in numbers(pane))
        row = numbers(pane).index(made.number)
        assert first_cells(pane)[row].startswith("*")  # marked, in text too
        assert "他の方の変更" in screen_text(app)
        # A's cursor stays on its row when B changes another
        table = pane.query_one("#pp-table", DataTable)
        table.move_cursor(row=row)
        chosen = pane.current_row().id
        changed = apps.change(b_ctx, b, made.id, version=made.version,
                              apply_date=made.apply_date, ports="9", applicant=made.applicant)
        await until(app, pilot, lambda: pane.current_row().ports == 9)
        assert pane.current_row().id == chosen
        # B cancels it: A's row says so (cancelled rows shown) or leaves (hidden)
        apps.cancel(b_ctx, b, changed.id, version=changed.version)
        await until(app, pilot, lambda: made.number not in numbers(pane)
                    or pane.rows[numbers(pane).index(made.number)].cancelled)
        # the marks go after a few seconds, without a key
        await until(app, pilot, lambda: not any(c.startswith("*") for c in first_cells(pane)))
        assert "他の方の変更" not in screen_text(app)

    run_with_list(shared, body)


def test_typing_in_the_search_field_is_kept(shared):
    async def body(app, pilot, pane, a_ctx, b_ctx):
        field = pane.query_one("#pp-from", Input)
        field.focus()
        field.value = "2026-0"
        await settle(app, pilot)
        b = session_of(b_ctx, USER)
        made = apps.create(b_ctx, b, apply_date=DAY, ports="3")
        await until(app, pilot, lambda: made.id in pane._marked)
        await until(app, pilot, lambda: pane._answered == pane._seq)
        assert field.value == "2026-0" and app.focused is field

    run_with_list(shared, body)


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["120x36", "80x24"])
def test_a_open_cancel_dialog_warns_when_b_changes_it(shared, size):
    """At 80x24 too, the warning and the dialog's buttons both stay on screen (R-UI-2)."""
    async def body(app, pilot, pane, a_ctx, b_ctx):
        b = session_of(b_ctx, USER)
        made = await b_made_one(app, pilot, pane, b_ctx, b)
        await pilot.press("c")
        await until(app, pilot, lambda: isinstance(app.screen, CancelModal))
        modal = app.screen
        apps.change(b_ctx, b, made.id, version=made.version, apply_date=made.apply_date,
                    ports="11", applicant=made.applicant)
        await until(app, pilot, lambda: "他の方が変更しました" in screen_text(app))
        text = screen_text(app)
        assert "11 ポート" in text
        assert "キャンセル実行" in text and "閉じる" in text, text
        assert modal.result is None  # nothing was saved
        fresh = apps.get(b_ctx, b, made.id)
        apps.cancel(b_ctx, b, made.id, version=fresh.version)
        await until(app, pilot, lambda: "他の方がキャンセルしました" in screen_text(app))

    run_with_list(shared, body, size=size)


def test_no_change_crosses_companies_and_own_writes_are_not_marked(shared):
    async def body(app, pilot, pane, a_ctx, b_ctx):
        other = session_of(b_ctx, OTHER)
        apps.create(b_ctx, other, apply_date="2026-03-06", ports="3")
        ours = apps.create(b_ctx, session_of(b_ctx, USER), apply_date="2026-03-06",
                           ports="4")
        heard: list = []
        original = pane.live_changed
        pane.live_changed = lambda changes: (heard.append(changes), original(changes))
        await until(app, pilot, lambda: heard)
        assert [(c.kind, c.item_id) for batch in heard for c in batch] == [
            ("application", ours.id)]
        # A's own write (its context's origin) is not news to A
        heard.clear()
        mine = apps.create(a_ctx, session_of(a_ctx, USER), apply_date="2026-03-06",
                           ports="5")
        closed_days.add(b_ctx, "2026-03-20")  # then one that is
        await until(app, pilot, lambda: heard)
        assert [(c.kind, c.item_id) for batch in heard for c in batch] == [
            ("closed_day", None)]
        assert mine.id not in pane._marked

    run_with_list(shared, body)


def test_accounts_table_follows_and_keeps_the_cursor(shared):
    async def body(app, pilot, a_ctx, b_ctx):
        await login(app, pilot, ADMIN)
        await pilot.press("f4")
        pane = app.screen.query_one(AccountsPane)
        await until(app, pilot, lambda: pane._loaded)
        b = session_of(b_ctx, ADMIN)
        made = accounts.create_account(
            b_ctx, b, name="新人 一郎", role="user", login_id="new@example.com",
            password="new-pass-12", password_confirm="new-pass-12", department="営業部",
            phone="", expires="2099-12-31")
        await until(app, pilot, lambda: any(a.id == made.id for a in pane.accounts))
        assert "*新人 一郎" in screen_text(app)
        table = pane.table
        index = [a.id for a in pane.accounts].index(made.id)
        table.move_cursor(row=index)
        accounts.delete_account(b_ctx, b, made.id, version=made.version)
        await until(app, pilot, lambda: all(a.id != made.id for a in pane.accounts))
        assert pane.selected is not None  # its neighbour

    run_a(shared, body)


def test_the_setting_turns_it_off(shared):
    a_ctx, b_ctx = shared
    app = PortPlusApp(replace(a_ctx.settings, live=False), ctx=a_ctx, clock=a_ctx.clock)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await open_list(app, pilot)
            assert app.live_feed is None or app.live_feed.watcher is None

    run(body)


def test_two_apps_b_saves_in_its_form_and_a_shows_it(shared):
    """Both sides are apps: B types a new application in its form and sends it; A's
    list of that day shows it, marked, without a key."""
    from portplus_tui.ui.screens.application_form import ApplicationFormScreen

    from .support import burst

    a_ctx, b_ctx = shared
    app_a, app_b = new_app(a_ctx), new_app(b_ctx)

    async def body():
        async with app_a.run_test(size=SIZE) as pilot_a:
            pane = await open_list(app_a, pilot_a)
            await show_day(app_a, pilot_a, pane)
            before = set(numbers(pane))
            async with app_b.run_test(size=SIZE) as pilot_b:
                await open_list(app_b, pilot_b, USER)
                await pilot_b.press("n")
                await until(app_b, pilot_b,
                            lambda: isinstance(app_b.screen, ApplicationFormScreen))
                form = app_b.screen
                burst(app_b, "20260306\r3\r\r")
                await until(app_b, pilot_b, lambda: form.step == "review")
                await pilot_b.press("enter")  # 新規申込
                await until(app_b, pilot_b, lambda: form.step == "done")
                saved = form.result
            await until(app_a, pilot_a, lambda: saved.number in numbers(pane))
            assert set(numbers(pane)) == before | {saved.number}
            row = numbers(pane).index(saved.number)
            assert first_cells(pane)[row].startswith("*")

    run(body)


@pytest.mark.postgres
def test_postgres_restart_the_header_says_so_and_the_list_reads_once(stoppable_pg_server,
                                                                     tmp_path, clock):
    from textual.widgets import Static

    server = stoppable_pg_server
    url = server.create_database("live_ui_restart")
    settings = make_settings(tmp_path, database_url=url)
    ctx = AppContext.open(settings, clock=clock, migrate=True)
    demo.seed(ctx)
    app = new_app(ctx)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot)
            header = app.screen.query_one("#online", Static)
            assert "Online" in str(header.render())
            requests = pane._seq
            server.stop()
            await until(app, pilot, lambda: "再接続中" in str(header.render()))
            server.start()
            await until(app, pilot, lambda: "Online" in str(header.render()))
            await until(app, pilot, lambda: pane._seq == requests + 1
                        and pane._answered == pane._seq)  # read once, again
            assert pane.page is not None and pane.rows

    try:
        run(body)
    finally:
        ctx.close()


def test_calendar_and_history_follow(shared):
    from portplus_tui.ui.screens.portplus_dialogs import HistoryModal
    from portplus_tui.ui.widgets.month_calendar import MonthCalendar

    async def body(app, pilot, pane, a_ctx, b_ctx):
        b = session_of(b_ctx, USER)
        made = await b_made_one(app, pilot, pane, b_ctx, b)
        # 履歴 open: B's change adds its line
        await pilot.press("h")
        await until(app, pilot, lambda: isinstance(app.screen, HistoryModal)
                    and len(app.screen.revisions) == 1)
        history = app.screen
        changed = apps.change(b_ctx, b, made.id, version=made.version, apply_date=DAY,
                              ports="8", applicant=made.applicant)
        await until(app, pilot, lambda: len(history.revisions) == 2)
        await pilot.press("escape")
        await until(app, pilot, lambda: not isinstance(app.screen, HistoryModal))
        # the calendar: the day's count of ports follows B's cancel
        await pilot.press("v")
        cal = pane.query_one(MonthCalendar)
        await until(app, pilot, lambda: cal.view is not None and cal.view.month == DAY.month)

        def ports_of_day() -> int:
            return next(d.ports for d in cal.view.days if d.day == DAY)

        before = ports_of_day()
        apps.cancel(b_ctx, b, changed.id, version=changed.version)
        await until(app, pilot, lambda: ports_of_day() == before - 8)

    run_with_list(shared, body)


def test_an_open_change_form_and_account_form_warn(shared):
    from portplus_tui.services import accounts as accounts_service
    from portplus_tui.ui.screens.account_form import AccountFormScreen
    from portplus_tui.ui.screens.application_form import ApplicationFormScreen

    async def body(app, pilot, pane, a_ctx, b_ctx):
        b = session_of(b_ctx, ADMIN)
        made = await b_made_one(app, pilot, pane, b_ctx, b)
        await pilot.press("enter")  # 変更申込
        await until(app, pilot, lambda: isinstance(app.screen, ApplicationFormScreen))
        form = app.screen
        form.query_one("#ports", Input).value = "6"  # A is typing
        apps.change(b_ctx, b, made.id, version=made.version, apply_date=DAY, ports="4",
                    applicant=made.applicant)
        await until(app, pilot, lambda: "他の方が変更しました" in screen_text(app))
        assert form.query_one("#ports", Input).value == "6"  # A's typing is kept
        await pilot.press("escape")  # unsaved input: the discard question
        await until(app, pilot, lambda: isinstance(app.screen, ConfirmModal))
        app.screen.query_one("#yes", Button).press()
        await until(app, pilot, lambda: isinstance(app.screen, MainScreen))
        # an account being edited
        await pilot.press("f4")
        acc = app.screen.query_one(AccountsPane)
        await until(app, pilot, lambda: acc._loaded)
        target = next(a for a in acc.accounts if a.login_id == "user@example.com")
        acc.table.move_cursor(row=acc.accounts.index(target))
        await pilot.press("enter")
        await until(app, pilot, lambda: isinstance(app.screen, AccountFormScreen))
        accounts_service.update_account(b_ctx, b, target.id, version=target.version,
                                        name=target.name, department="経理部")
        await until(app, pilot, lambda: "このアカウントは他の方が変更しました"
                    in screen_text(app))

    run_with_list(shared, body)


def test_after_logging_in_to_another_company_only_its_changes_come(shared):
    async def body(app, pilot, a_ctx, b_ctx):
        await open_list(app, pilot)
        first_watcher = app.live_feed.watcher
        await pilot.press("ctrl+l")  # ログアウト
        await until(app, pilot, lambda: app.session is None)
        pane = await open_list(app, pilot, OTHER)
        assert not first_watcher.running or first_watcher._stop.is_set()
        heard: list = []
        original = pane.live_changed
        pane.live_changed = lambda changes: (heard.append(changes), original(changes))
        apps.create(b_ctx, session_of(b_ctx, USER), apply_date=DAY, ports="3")  # the first
        theirs = apps.create(b_ctx, session_of(b_ctx, OTHER), apply_date=DAY, ports="4")
        await until(app, pilot, lambda: heard)
        assert [(c.kind, c.item_id) for batch in heard for c in batch] == [
            ("application", theirs.id)]

    run_a(shared, body)
