"""ポートプラス pane (R-LST-1..5, R-APP-3..6, R-CAL-4): list, paging, new, change,
cancel, history, calendar and CSV export, driven with Pilot at 120x36 on the seeded demo
database, for both roles. The clock is injected: START is Monday 2026-03-02 10:00 JST,
so the list opens on billing month 2026-02 (2026-02-21 .. 2026-03-20)."""

from __future__ import annotations

import csv
import os
import stat
import unicodedata
from datetime import date, datetime
from pathlib import Path

import pytest
from textual.widgets import Button, DataTable, Input, Static

from portplus_tui.core.calendar import JST
from portplus_tui.services import applications as apps
from portplus_tui.services import auth
from portplus_tui.ui import messages_en, messages_ja
from portplus_tui.ui.panes.portplus import PortPlusPane
from portplus_tui.ui.screens.application_form import ApplicationFormScreen
from portplus_tui.ui.screens.confirm import ConfirmModal
from portplus_tui.ui.screens.portplus_dialogs import CancelModal, ExportModal, HistoryModal
from portplus_tui.ui.widgets.month_calendar import MonthCalendar
from portplus_tui.ui.widgets.pager import page_numbers

from .support import ADMIN, SIZE, USER, app_test, burst, login, notifications, run, screen_text, settle

ROLES = [pytest.param(ADMIN, id="admin"), pytest.param(USER, id="user")]
NAMES = {ADMIN[1]: "山田 太郎", USER[1]: "佐藤 花子"}


@pytest.fixture(autouse=True)
def _no_debounce(monkeypatch):
    """The form asks for the deadline at once (no timer to wait for)."""
    monkeypatch.setattr(ApplicationFormScreen, "DEBOUNCE", 0)


# ------------------------------------------------------------------ helpers
def session_of(ctx, creds):
    return auth.login(ctx, *creds).session


async def wait_for(app, pilot, predicate, rounds: int = 60) -> None:
    """Let workers and timers run until ``predicate()`` holds (bounded, no sleeping)."""
    for _ in range(rounds):
        await settle(app, pilot)
        if predicate():
            return
        await pilot.pause()
    raise AssertionError("condition not reached")


async def open_list(app, pilot, creds) -> PortPlusPane:
    await login(app, pilot, creds)
    await pilot.press("f3")
    pane = app.screen.query_one(PortPlusPane)
    await wait_for(app, pilot, lambda: pane.page is not None)
    await settle(app, pilot)
    assert app.focused is pane.query_one("#pp-table")  # F3 gives the list the keyboard
    return pane


async def open_new_form(app, pilot, creds) -> ApplicationFormScreen:
    """Log in, open the list, and N: the new-application form."""
    await open_list(app, pilot, creds)
    await pilot.press("n")
    await settle(app, pilot)
    assert isinstance(app.screen, ApplicationFormScreen)
    return app.screen


def table_numbers(pane) -> list[str]:
    table = pane.query_one("#pp-table", DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


def row_cells(pane, index: int) -> list[str]:
    return [str(c) for c in pane.query_one("#pp-table", DataTable).get_row_at(index)]


def text(widget) -> str:
    return str(widget.render())


def summary(pane) -> str:
    return text(pane.query_one("#pp-summary", Static))


async def type_text(app, pilot, chars: str) -> None:
    burst(app, chars)
    await settle(app, pilot)


async def move_to(app, pilot, pane, app_id: int) -> None:
    """Put the table cursor on the row of ``app_id``."""
    table = pane.query_one("#pp-table", DataTable)
    index = next(i for i, row in enumerate(pane.rows) if row.id == app_id)
    table.move_cursor(row=index)
    await settle(app, pilot)


def service_page(ctx, session, page: int, size: int = 10, include_cancelled: bool = True):
    q = apps.month_query(ctx, "2026-02", page_size=size, include_cancelled=include_cancelled)
    return apps.list_page(ctx, session, q, page)


def first_modifiable(pane):
    return next(view for view in pane.rows if view.can_modify)


# ------------------------------------------------------------------ list
@pytest.mark.parametrize("creds", ROLES)
@app_test()
async def test_list_opens_on_the_billing_month_of_today(app, pilot, ctx, creds) -> None:
    pane = await open_list(app, pilot, creds)
    assert pane.query_one("#pp-month", Input).value == "2026-02"
    assert pane.query_one("#pp-from", Input).value == "2026-02-21"
    assert pane.query_one("#pp-to", Input).value == "2026-03-20"
    expected = service_page(ctx, session_of(ctx, creds), 1)
    assert table_numbers(pane) == [v.number for v in expected.rows]
    assert len(expected.rows) == 10
    assert summary(pane).startswith(f"全 {expected.total} 件中 1 ~ 10 件を表示")
    view = expected.rows[0]
    cells = row_cells(pane, 0)
    assert cells[0] == "1"
    assert cells[2] == f"{view.apply_date.year}年{view.apply_date.month}月" \
                       f"{view.apply_date.day}日({'月火水木金土日'[view.apply_date.weekday()]})"
    assert cells[3] == str(view.ports)
    assert cells[4] == f"{view.applicant} 様"
    for i, v in enumerate(expected.rows):
        cell = row_cells(pane, i)[6]
        assert cell == ("キャンセル済" if v.cancelled else "キャンセル" if v.can_modify
                        else "期限切れ")
    pager = text(pane.query_one("#pp-pager"))
    assert pager.startswith("前へ") and pager.endswith("次へ") and " 1 " in pager
    title = pane.query_one("#pp-new", Button)
    assert str(title.label) == "ポートプラス新規申込"
    assert title.region.right >= pane.region.right - 2  # top right
    keys = {b.binding.key for b in app.screen.active_bindings.values() if b.binding.show}
    assert {"enter", "c", "h", "n", "pagedown", "pageup", "home", "end", "v", "e",
            "t", "p"} <= keys


def test_paging_first_last_and_page_sizes(make_app, ctx):
    app = make_app()
    session = session_of(ctx, ADMIN)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            total = pane.page.total
            pages = pane.page.page_count
            assert pages >= 3
            # First page: PageUp goes nowhere.
            await pilot.press("pageup")
            await settle(app, pilot)
            assert pane.page.page == 1
            await pilot.press("pagedown")
            await settle(app, pilot)
            assert pane.page.page == 2
            assert table_numbers(pane) == [v.number for v in service_page(ctx, session, 2).rows]
            assert summary(pane).startswith(f"全 {total} 件中 11 ~ 20 件を表示")
            await pilot.press("end")
            await settle(app, pilot)
            last = service_page(ctx, session, pages)
            assert pane.page.page == pages
            assert table_numbers(pane) == [v.number for v in last.rows]
            assert summary(pane).startswith(f"全 {total} 件中 {last.first_index} ~ {total} 件")
            # Last page: PageDown goes nowhere.
            await pilot.press("pagedown")
            await settle(app, pilot)
            assert pane.page.page == pages
            await pilot.press("pageup")
            await settle(app, pilot)
            assert table_numbers(pane) == [
                v.number for v in service_page(ctx, session, pages - 1).rows]
            await pilot.press("home")
            await settle(app, pilot)
            assert pane.page.page == 1
            assert table_numbers(pane) == [v.number for v in service_page(ctx, session, 1).rows]
            # 表示数: p cycles 10 -> 20 -> 50; the page keeps the first row shown.
            await pilot.press("pagedown")
            await settle(app, pilot)
            await pilot.press("p")
            await settle(app, pilot)
            assert pane.page.query.page_size == 20
            assert pane.page.page == 1  # row 11 is on page 1 of 20
            assert len(pane.rows) == min(20, total)
            assert table_numbers(pane) == [
                v.number for v in service_page(ctx, session, 1, size=20).rows]
            await pilot.press("p")
            await settle(app, pilot)
            assert pane.page.query.page_size == 50 and len(pane.rows) == total
            assert summary(pane).startswith(f"全 {total} 件中 1 ~ {total} 件を表示")
            assert pane.page.page_count == 1
            await pilot.press("p", "p")
            await settle(app, pilot)
            assert pane.page.query.page_size == 10 and len(pane.rows) == 10

    run(body)


def test_pager_links_go_to_their_pages(make_app, ctx):
    """The page numbers of 「前へ 1 2 ... 次へ」 are links: first, last, and steps from the
    current page (actions that do not name the page number: see Pager.show_page)."""
    app = make_app()
    session = session_of(ctx, ADMIN)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            pager = pane.query_one("#pp-pager")
            pages = pane.page.page_count
            assert pages >= 3
            markup = str(pager.content)
            assert "@click=page('ahead', 1)" in markup and "@click=page('last')" in markup
            assert "go" not in markup
            for action, expected in (("page('ahead', 1)", 2), ("page('ahead', 1)", 3),
                                     ("page('back', 2)", 1), ("page('last')", pages),
                                     ("page('first')", 1), ("page('next')", 2),
                                     ("page('prev')", 1)):
                await pager.run_action(action)
                await settle(app, pilot)
                assert pane.page.page == expected, action
                assert table_numbers(pane) == [
                    v.number for v in service_page(ctx, session, expected).rows]
                assert f"[b reverse] {expected} [/]" in str(pager.content)

    run(body)


def test_page_numbers_around_the_current_page():
    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 3) == [1, 2, 3]
    assert page_numbers(1, 100) == [1, 2, 3, None, 100]
    assert page_numbers(50, 100) == [1, None, 48, 49, 50, 51, 52, None, 100]
    assert page_numbers(100, 100) == [1, None, 98, 99, 100]


def test_month_and_period_search_and_cancelled_toggle(make_app, ctx):
    app = make_app()
    session = session_of(ctx, ADMIN)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            all_rows = pane.page.total
            await pilot.press("t")
            await settle(app, pilot)
            hidden = service_page(ctx, session, 1, include_cancelled=False)
            assert pane.page.total == hidden.total < all_rows
            assert "キャンセル済" not in [row_cells(pane, i)[6] for i in range(len(pane.rows))]
            assert "キャンセル済は非表示" in summary(pane)
            await pilot.press("t")
            await settle(app, pilot)
            assert pane.page.total == all_rows
            # 月検索 2026-03: the next billing period.
            month = pane.query_one("#pp-month", Input)
            month.focus()
            month.value = ""
            await type_text(app, pilot, "202603\r")
            assert (pane.page.query.start, pane.page.query.end) == (date(2026, 3, 21),
                                                                     date(2026, 4, 20))
            assert pane.query_one("#pp-from", Input).value == "2026-03-21"
            # 期間検索, with full-width digits typed into the mask.
            start = pane.query_one("#pp-from", Input)
            start.focus()
            start.value = ""
            await type_text(app, pilot, "２０２６０３０６")
            end = pane.query_one("#pp-to", Input)
            end.focus()
            end.value = ""
            await type_text(app, pilot, "20260306\r")
            assert (pane.page.query.start, pane.page.query.end) == (date(2026, 3, 6),) * 2
            assert all(v.apply_date == date(2026, 3, 6) for v in pane.rows)
            # A period that ends before it starts: said beside the search, list kept.
            assert app.focused is pane.query_one("#pp-table")  # (the search gave it back)
            end.focus()
            end.value = ""
            await type_text(app, pilot, "20260301\r")
            error = pane.query_one("#pp-search-error", Static)
            assert error.display and "開始日は終了日以前" in text(error)
            end.value = ""
            await type_text(app, pilot, "20260231\r")
            assert "存在しない日付" in text(error)

    run(body)


# ------------------------------------------------------------------ new
@pytest.mark.parametrize("creds", ROLES)
@app_test()
async def test_new_application_with_full_width_ports(app, pilot, ctx, creds) -> None:
    pane = await open_list(app, pilot, creds)
    await pilot.press("n")
    await settle(app, pilot)
    form = app.screen
    assert isinstance(form, ApplicationFormScreen) and form.mode == "new"
    assert form.query_one("#applicant", Input).value == NAMES[creds[1]]
    await type_text(app, pilot, "20260306")
    line = form.query_one("#apply_date-deadline", Static)
    await wait_for(app, pilot, lambda: "申込期限" in text(line))
    assert text(line) == "申込期限: 2026年3月4日(水)まで"
    await type_text(app, pilot, "\r１２\r\r")  # ports in full-width digits, Enter x3
    await wait_for(app, pilot, lambda: form.step == "review")
    review = " ".join(text(s) for s in form.query("#pp-review-rows Static"))
    assert "2026年3月6日(金)" in review and "12" in review
    assert "2026年3月4日(水)まで" in review and NAMES[creds[1]] in review
    await pilot.press("enter")  # 新規申込 has the focus
    await wait_for(app, pilot, lambda: form.step == "done")
    saved = form.result
    assert saved.ports == 12 and saved.apply_date == date(2026, 3, 6)
    assert saved.applicant == NAMES[creds[1]]
    assert saved.number in text(form.query_one("#pp-done-number"))
    await pilot.press("enter")  # 閉じる
    await wait_for(app, pilot, lambda: any(v.id == saved.id for v in pane.rows))
    assert app.screen.query_one(PortPlusPane) is pane
    assert pane.current_row().id == saved.id  # the cursor is on it
    assert saved.number in table_numbers(pane)


@app_test()
async def test_new_form_field_errors_and_unsaved_input(app, pilot, ctx) -> None:
    form = await open_new_form(app, pilot, ADMIN)
    await type_text(app, pilot, "20260230")
    line = form.query_one("#apply_date-deadline", Static)
    await wait_for(app, pilot, lambda: "存在しない日付" in text(line))
    form.query_one("#ports", Input).value = "0"
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    assert form.step == "edit"
    assert "存在しない日付" in text(form.query_one("#apply_date-error"))
    assert screen_text(app).count("存在しない日付") == 1  # not in the hint too
    assert text(form.query_one("#ports-error"))
    assert app.focused.id == "apply_date"
    # Beyond 365 days ahead.
    form.query_one("#apply_date", Input).value = "2027-03-10"
    form.query_one("#ports", Input).value = "1"
    await wait_for(app, pilot, lambda: "2027年3月2日" in text(line))
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    assert form.step == "edit"
    assert "2027年3月2日(火) までの日付" in text(form.query_one("#apply_date-error"))
    assert screen_text(app).count("までの日付") == 1
    # Esc with unsaved input asks first; "no" keeps the form.
    await pilot.press("escape")
    await settle(app, pilot)
    assert isinstance(app.screen, ConfirmModal)
    await pilot.press("escape")
    await settle(app, pilot)
    assert app.screen is form
    await pilot.press("escape")
    await settle(app, pilot)
    app.screen.query_one("#yes", Button).press()
    await settle(app, pilot)
    assert not isinstance(app.screen, (ConfirmModal, ApplicationFormScreen))


def test_deadline_preview_arriving_after_the_refusal_is_dropped(make_app, ctx, clock, monkeypatch):
    """The live deadline line's answer can arrive after Ctrl+S refused the date (CI saw
    it: the refusal then stood twice, under the field and in the line). A preview still
    on its way when the refusal is shown is dropped."""
    import threading

    from portplus_tui.ui.clients import ServiceCall

    clock.now = datetime(2026, 3, 5, 0, 0, 0, tzinfo=JST)
    gate, held = threading.Event(), threading.Event()
    app = make_app()
    calls = app.clients.applications
    real = calls.deadline

    def deadline(day, name="portplus.deadline"):
        call = real(day, name)
        if name != "portplus.deadline":  # the review's check goes through
            return call

        def job(ctx):  # the live preview: held until the refusal is on screen
            held.set()
            gate.wait(30)
            return call.job(ctx)

        return ServiceCall(call.name, job)

    monkeypatch.setattr(calls, "deadline", deadline)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            form = await open_new_form(app, pilot, USER)
            burst(app, "20260306\r2\r\r")
            # settle() waits for every worker, and the preview is held at the gate:
            # poll (bounded) until the review has refused the date.
            for _ in range(1000):
                await pilot.pause(0.01)
                if held.is_set() and "を過ぎている" in text(form.query_one("#apply_date-error")):
                    break
            else:
                raise AssertionError("the refusal was not shown")
            gate.set()
            await settle(app, pilot)
            assert form.step == "edit"
            assert text(form.query_one("#apply_date-deadline")) == ""
            assert screen_text(app).count("を過ぎている") == 1

    try:
        run(body)
    finally:
        gate.set()


@pytest.mark.parametrize("late, allowed", [
    (datetime(2026, 3, 4, 23, 59, 59, tzinfo=JST), True),  # the deadline day, last second
    (datetime(2026, 3, 5, 0, 0, 0, tzinfo=JST), False),  # the day after
])
def test_deadline_refusal_last_allowed_day_and_the_day_after(make_app, ctx, clock, late, allowed):
    clock.now = late
    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            form = await open_new_form(app, pilot, USER)
            await type_text(app, pilot, "20260306\r2\r\r")
            if allowed:
                await wait_for(app, pilot, lambda: form.step == "review")
                await pilot.press("enter")
                await wait_for(app, pilot, lambda: form.step == "done")
                assert form.result.deadline == date(2026, 3, 4)
            else:
                await settle(app, pilot)
                assert form.step == "edit"
                line = text(form.query_one("#apply_date-deadline"))
                error = text(form.query_one("#apply_date-error"))
                # Said once, under the field (issue 13, point 8: it was said twice).
                assert "申込期限 2026年3月4日(水) を過ぎている" in error and line == ""
                assert screen_text(app).count("を過ぎている") == 1

    run(body)


def test_rows_past_their_deadline_say_why_they_cannot_be_cancelled(make_app, ctx, clock):
    session = session_of(ctx, ADMIN)
    view = apps.create(ctx, session, apply_date="2026-03-06", ports=1)
    clock.now = datetime(2026, 3, 5, 9, 0, tzinfo=JST)
    session = session_of(ctx, ADMIN)
    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            pane.query_one("#pp-from", Input).value = "2026-03-06"
            pane.query_one("#pp-to", Input).value = "2026-03-06"
            pane.search_period()
            await wait_for(app, pilot, lambda: any(v.id == view.id for v in pane.rows))
            await move_to(app, pilot, pane, view.id)
            index = next(i for i, v in enumerate(pane.rows) if v.id == view.id)
            assert row_cells(pane, index)[6] == "期限切れ"
            for key in ("c", "delete", "enter"):
                app._notifications.clear()
                await pilot.press(key)
                await settle(app, pilot)
                assert not isinstance(app.screen, (CancelModal, ApplicationFormScreen))
                assert any("申込期限 2026年3月4日(水) を過ぎている" in n
                           for n in notifications(app)), key
            assert apps.get(ctx, session, view.id).status == "active"

    run(body)


# ------------------------------------------------------------------ change
@pytest.mark.parametrize("creds", ROLES)
@app_test()
async def test_change_application(app, pilot, ctx, creds) -> None:
    pane = await open_list(app, pilot, creds)
    await pilot.press("pagedown")
    await settle(app, pilot)
    target = first_modifiable(pane)
    await move_to(app, pilot, pane, target.id)
    await pilot.press("enter")
    await settle(app, pilot)
    form = app.screen
    assert isinstance(form, ApplicationFormScreen) and form.mode == "change"
    assert text(form.query_one("#pp-form-contract")) == "30"
    assert text(form.query_one("#pp-form-number")) == target.number
    assert text(form.query_one("#pp-form-change-hint")) == "2営業日前まで変更申込が可能です。"
    assert form.query_one("#apply_date", Input).value == target.apply_date.isoformat()
    # Nothing changed: said, and no service call.
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    assert "変更内容がありません" in text(form.query_one("#form-error"))
    ports = form.query_one("#ports", Input)
    ports.value = "７７"
    await pilot.press("ctrl+s")
    await wait_for(app, pilot, lambda: form.step == "review")
    assert target.number in " ".join(text(s) for s in form.query("#pp-review-rows Static"))
    await pilot.press("ctrl+s")
    await wait_for(app, pilot, lambda: form.step == "done")
    saved = form.result
    assert saved.id == target.id and saved.ports == 77
    assert saved.revision == target.revision + 1
    assert saved.number.endswith(f"-{target.revision + 1}")
    assert saved.number in text(form.query_one("#pp-done-number"))
    await pilot.press("enter")
    await wait_for(app, pilot, lambda: saved.number in table_numbers(pane))
    assert pane.current_row().ports == 77


def test_change_that_lost_the_race_offers_to_reload(make_app, ctx):
    app = make_app()
    other = session_of(ctx, USER)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            target = first_modifiable(pane)
            await move_to(app, pilot, pane, target.id)
            await pilot.press("enter")
            await settle(app, pilot)
            form = app.screen
            form.query_one("#ports", Input).value = "5" if target.ports != 5 else "6"
            await pilot.press("ctrl+s")
            await wait_for(app, pilot, lambda: form.step == "review")
            # Someone else changes it behind the form's back.
            theirs = apps.change(ctx, other, target.id, version=target.version,
                                 apply_date=target.apply_date, ports=42, applicant="他の人")
            await pilot.press("ctrl+s")
            await wait_for(app, pilot, lambda: isinstance(app.screen, ConfirmModal))
            assert "他の方が先に変更しました" in text(form.query_one("#review-error"))
            assert "他の方が先に変更しました" in text(app.screen.query_one("#dialog-message"))
            app.screen.query_one("#yes", Button).press()  # 最新の内容を読み込む
            await wait_for(app, pilot, lambda: form.view.version == theirs.version)
            assert app.screen is form and form.step == "edit"
            assert form.query_one("#ports", Input).value == "42"
            assert form.query_one("#applicant", Input).value == "他の人"
            assert text(form.query_one("#pp-form-number")) == theirs.number
            assert theirs.number in text(form.query_one("#form-error"))
            form.query_one("#ports", Input).value = "43"
            await pilot.press("ctrl+s")
            await wait_for(app, pilot, lambda: form.step == "review")
            await pilot.press("ctrl+s")
            await wait_for(app, pilot, lambda: form.step == "done")
            assert form.result.ports == 43 and form.result.revision == theirs.revision + 1

    run(body)


def test_a_change_that_lost_to_a_cancellation_says_cancelled_at_once(make_app, ctx):
    """Issue 13, point 11: the form says at once that someone else cancelled the
    application (no 「最新の内容を読み込む」 question: there is nothing to try again)."""
    app = make_app()
    other = session_of(ctx, USER)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            target = first_modifiable(pane)
            await move_to(app, pilot, pane, target.id)
            await pilot.press("enter")
            await settle(app, pilot)
            form = app.screen
            form.query_one("#ports", Input).value = "5" if target.ports != 5 else "6"
            await pilot.press("ctrl+s")
            await wait_for(app, pilot, lambda: form.step == "review")
            apps.cancel(ctx, other, target.id, version=target.version)
            await pilot.press("ctrl+s")
            await wait_for(app, pilot, lambda: "キャンセルしました" in text(
                form.query_one("#review-error")))
            assert not isinstance(app.screen, ConfirmModal)
            assert "変更しました" not in text(form.query_one("#review-error"))

    run(body)


# ------------------------------------------------------------------ cancel
@pytest.mark.parametrize("creds", ROLES)
def test_cancel_modal(make_app, ctx, creds):
    app = make_app()
    session = session_of(ctx, creds)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, creds)
            target = first_modifiable(pane)
            await move_to(app, pilot, pane, target.id)
            await pilot.press("c")
            await settle(app, pilot)
            modal = app.screen
            assert isinstance(modal, CancelModal)
            shown = [text(s) for s in modal.query(".pp-row Static")]
            assert shown == ["契約ポート数", "30", "申込番号", target.number, "適用日",
                             target.apply_date.isoformat(), "追加ポート数", str(target.ports),
                             "申込者", target.applicant]
            labels = [str(b.label) for b in modal.query(Button)]
            assert labels == ["閉じる", "キャンセル実行"]
            await pilot.press("escape")  # 閉じる: nothing happens
            await settle(app, pilot)
            assert apps.get(ctx, session, target.id).status == "active"
            pane.query_one("#pp-cancel-btn", Button).press()  # the button does the same
            await settle(app, pilot)
            modal = app.screen
            assert isinstance(modal, CancelModal)
            modal.query_one("#pp-cancel-run", Button).press()
            await wait_for(app, pilot, lambda: modal.result is not None)
            assert f"{target.number} をキャンセルしました" in text(modal.query_one("#pp-cancel-done"))
            await pilot.press("escape")
            await wait_for(app, pilot, lambda: any(
                v.id == target.id and v.cancelled for v in pane.rows))
            index = next(i for i, v in enumerate(pane.rows) if v.id == target.id)
            assert row_cells(pane, index)[6] == "キャンセル済"
            assert apps.get(ctx, session, target.id).cancelled

    run(body)


def test_cancel_of_a_row_changed_meanwhile_is_a_conflict(make_app, ctx):
    app = make_app()
    other = session_of(ctx, USER)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            target = first_modifiable(pane)
            await move_to(app, pilot, pane, target.id)
            await pilot.press("c")
            await settle(app, pilot)
            modal = app.screen
            apps.change(ctx, other, target.id, version=target.version,
                        apply_date=target.apply_date, ports=target.ports + 1)
            modal.query_one("#pp-cancel-run", Button).press()
            await wait_for(app, pilot, lambda: modal.result == "reload")
            assert "他の方が先に変更しました" in text(modal.query_one("#pp-cancel-error"))
            await pilot.press("escape")
            await wait_for(app, pilot, lambda: any(
                v.id == target.id and v.revision == target.revision + 1 for v in pane.rows))

    run(body)


# ------------------------------------------------------------------ history
def test_history_lists_every_revision(make_app, ctx):
    app = make_app()
    session = session_of(ctx, ADMIN)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            target = first_modifiable(pane)
            changed = apps.change(ctx, session, target.id, version=target.version,
                                  apply_date=target.apply_date, ports=target.ports + 3)
            apps.cancel(ctx, session, target.id, version=changed.version)
            await pilot.press("r")
            await settle(app, pilot)
            await move_to(app, pilot, pane, target.id)
            await pilot.press("h")
            await settle(app, pilot)
            modal = app.screen
            assert isinstance(modal, HistoryModal)
            table = modal.query_one(DataTable)
            rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
            revisions = apps.history(ctx, session, target.id)
            assert len(rows) == len(revisions) >= 3
            assert [r[1] for r in rows[-2:]] == ["変更申込", "キャンセル"]
            assert rows[-2][0] == changed.number and rows[-2][3] == ADMIN[1]
            assert f"追加ポート数: {target.ports} -> {target.ports + 3}" in rows[-2][4]
            assert rows[0][1] == "新規申込" and rows[0][0].endswith("-0")
            await pilot.press("escape")
            await settle(app, pilot)
            assert not isinstance(app.screen, HistoryModal)

    run(body)


# ------------------------------------------------------------------ calendar
def calendar_text(app) -> str:
    return str(app.screen.query_one(MonthCalendar).render())


@pytest.mark.parametrize("creds", ROLES)
def test_calendar_month_grid_keys_and_enter(make_app, ctx, creds):
    app = make_app()
    session = session_of(ctx, creds)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, creds)
            first = pane.rows[0]
            await pilot.press("v")
            cal = pane.query_one(MonthCalendar)
            await wait_for(app, pilot, lambda: cal.view is not None)
            assert app.focused is cal and cal.cursor == first.apply_date
            assert (cal.view.year, cal.view.month) == (2026, 2)
            await pilot.press("pagedown")  # March 2026
            await wait_for(app, pilot, lambda: cal.view.month == 3)
            grid = calendar_text(app)
            assert grid.splitlines()[0].startswith("2026年3月")
            assert "20 祝" in grid and "春分の日" in grid  # holiday with its name
            assert " 2*" in grid  # today
            assert " 1 締" in grid  # 3/1: its deadline has passed
            march = cal.view
            busy = [d for d in march.days if d.active]
            assert f"{busy[0].ports}/30" in grid
            # Arrow keys by day and week, Home to today.
            await pilot.press("home")
            await settle(app, pilot)
            assert cal.cursor == date(2026, 3, 2)
            await pilot.press("right", "down")
            await settle(app, pilot)
            assert cal.cursor == date(2026, 3, 10)
            day_line = text(pane.query_one("#pp-day"))
            assert "2026年3月10日(火)" in day_line and "申込期限: 2026年3月6日(金)まで" in day_line
            # Enter on a day with applications: the list of that day.
            target = next(d for d in march.days if d.has_applications and d.day > date(2026, 3, 2))
            cal.go_to(target.day)
            await settle(app, pilot)
            await pilot.press("enter")
            await wait_for(app, pilot, lambda: pane.view_mode == "list" and pane.page
                           and pane.page.query.start == target.day)
            assert pane.page.total == target.active + target.cancelled
            assert {v.apply_date for v in pane.rows} == {target.day}
            # n on an empty open day: a new application for that day.
            await pilot.press("v")
            await wait_for(app, pilot, lambda: pane.view_mode == "calendar")
            empty = next(d for d in march.days if d.open and not d.has_applications)
            cal.go_to(empty.day)
            await settle(app, pilot)
            await pilot.press("enter")
            await settle(app, pilot)
            form = app.screen
            assert isinstance(form, ApplicationFormScreen)
            assert form.query_one("#apply_date", Input).value == empty.day.isoformat()
            await type_text(app, pilot, "\r3\r\r")
            await wait_for(app, pilot, lambda: form.step == "review")
            await pilot.press("enter")
            await wait_for(app, pilot, lambda: form.step == "done")
            await pilot.press("enter")
            await wait_for(app, pilot, lambda: cal.day_info(empty.day) is not None
                           and cal.day_info(empty.day).ports == 3)
            assert apps.day_totals(ctx, session, empty.day, empty.day)[0].ports == 3
            # Esc: back to the list.
            await pilot.press("escape")
            await settle(app, pilot)
            assert pane.view_mode == "list"

    run(body)


@app_test()
async def test_calendar_refuses_a_new_application_on_a_closed_day(app, pilot, ctx) -> None:
    pane = await open_list(app, pilot, ADMIN)
    await pilot.press("v")
    cal = pane.query_one(MonthCalendar)
    await wait_for(app, pilot, lambda: cal.view is not None)
    cal.go_to(date(2026, 3, 3))  # deadline Fri 2026-02-27: passed
    await wait_for(app, pilot, lambda: cal.view.month == 3)
    await pilot.press("n")
    await settle(app, pilot)
    assert not isinstance(app.screen, ApplicationFormScreen)
    assert any("申込期限 2026年2月27日(金) を過ぎている" in n for n in notifications(app))


# ------------------------------------------------------------------ export
def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def csv_rows(path: Path) -> list[tuple[str, ...]]:
    return [tuple(r) for r in csv.reader(path.read_text(encoding="utf-8").splitlines())]


async def open_export(app, pilot) -> ExportModal:
    await pilot.press("e")
    await settle(app, pilot)
    modal = app.screen
    assert isinstance(modal, ExportModal)
    return modal


async def export_as(app, pilot, modal, name: str) -> None:
    """Empty the name field, type ``name`` (a burst of keys) and press Enter (出力)."""
    field = modal.query_one("#pp-export-name", Input)
    field.focus()
    field.value = ""
    await settle(app, pilot)
    await type_text(app, pilot, name + "\r")
    await settle(app, pilot)


def test_export_writes_the_current_search_into_the_export_folder(make_app, ctx, settings):
    app = make_app()
    session = session_of(ctx, ADMIN)
    folder = settings.resolved_export_dir
    assert folder == settings.resolved_data_dir / "exports"

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            modal = await open_export(app, pilot)
            name_input = modal.query_one("#pp-export-name", Input)
            # The default: a name only (no folder, no ~), the folder shown above it.
            assert name_input.value.startswith("portplus-2026") and name_input.value.endswith(
                ".csv") and "/" not in name_input.value
            assert text(modal.query_one("#pp-export-folder")) == f"出力先フォルダ: {folder}"
            await export_as(app, pilot, modal, "march")
            await wait_for(app, pilot, lambda: modal.written is not None)
            target = folder / "march.csv"
            assert modal.written == target
            done = text(modal.query_one("#pp-export-done"))
            assert str(target) in done and f"{pane.page.total} 件" in done
            rows = csv_rows(target)
            assert rows[0] == apps.EXPORT_HEADER
            expected = list(apps.export_rows(ctx, session, pane.page.query.start,
                                             pane.page.query.end))
            assert rows[1:] == [tuple(str(c) for c in r) for r in expected]
            assert mode_of(folder) == 0o700 and mode_of(target) == 0o600
            assert sorted(os.listdir(folder)) == ["march.csv"]
            assert app.focused is modal.query_one("#pp-export-close")
            # The same name again: asks before overwriting; 出力 again replaces it.
            name_input.focus()
            await pilot.press("enter")
            await settle(app, pilot)
            assert "既にあります" in text(modal.query_one("#pp-export-error"))
            await pilot.press("enter")
            await settle(app, pilot)
            assert not modal.query_one("#pp-export-error").display
            assert modal.query_one("#pp-export-done").display
            assert csv_rows(target) == rows and sorted(os.listdir(folder)) == ["march.csv"]
            await pilot.press("escape")
            await settle(app, pilot)
            assert not isinstance(app.screen, ExportModal)
            assert any(str(target) in n for n in notifications(app))

    run(body)


def test_export_refuses_paths_for_a_user(make_app, ctx, settings, tmp_path, monkeypatch):
    """Issue 11: a role-user account typed ~/.bashrc (or any path) and the export
    overwrote it. Now only a name in the export folder is accepted, and the message under
    the field says why; nothing is written anywhere else."""
    home, cwd = tmp_path / "home", tmp_path / "cwd" / "deep"
    cwd.mkdir(parents=True)
    (home / ".ssh").mkdir(parents=True)
    bashrc = home / ".bashrc"
    bashrc.write_text("# mine\n")
    keys = home / ".ssh" / "authorized_keys"
    keys.write_text("ssh-ed25519 AAAA mine\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    folder = settings.resolved_export_dir
    planted = Path("/tmp/x.sh")
    planted_before = os.lstat(planted) if os.path.lexists(planted) else None
    app = make_app()

    def unchanged() -> None:
        assert bashrc.read_text() == "# mine\n" and keys.read_text() == "ssh-ed25519 AAAA mine\n"
        assert sorted(os.listdir(home)) == [".bashrc", ".ssh"] and os.listdir(cwd) == []
        assert sorted(os.listdir(tmp_path / "cwd")) == ["deep"]
        now = os.lstat(planted) if os.path.lexists(planted) else None
        assert (now and (now.st_ino, now.st_mtime_ns)) == (
            planted_before and (planted_before.st_ino, planted_before.st_mtime_ns))
        assert not folder.exists() or [p for p in os.listdir(folder)
                                       if not p.startswith("link")] == []

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await open_list(app, pilot, USER)
            modal = await open_export(app, pilot)
            error = modal.query_one("#pp-export-error")
            for name in ("/tmp/x.sh", "../../x.csv", "~/.bashrc", str(keys), "a\\b.csv"):
                await export_as(app, pilot, modal, name)
                assert modal.query_one("#pp-export-name", Input).value == name
                said = text(error)
                assert error.display and "ファイル名だけを入力してください" in said, name
                assert "/" in said and "\\" in said, said
                assert modal.written is None and not modal.query_one("#pp-export-done").display
                unchanged()
            await export_as(app, pilot, modal, ".bashrc")
            assert "「.」で始める" in text(error)
            await export_as(app, pilot, modal, "")
            assert "ファイル名を入力してください" in text(error)
            unchanged()
            # A symbolic link planted in the export folder is refused, not followed.
            folder.mkdir(mode=0o700, parents=True)
            (folder / "link.csv").symlink_to(bashrc)
            for _ in range(2):  # 出力 twice: still refused (no overwrite of a link)
                await export_as(app, pilot, modal, "link")
                assert "シンボリックリンク" in text(error) and "上書きしません" in text(error)
            assert (folder / "link.csv").is_symlink()
            unchanged()
            # A plain name: written in the export folder.
            await export_as(app, pilot, modal, "ok")
            await wait_for(app, pilot, lambda: modal.written is not None)
            assert modal.written == folder / "ok.csv" and mode_of(folder / "ok.csv") == 0o600
            assert not error.display
            assert (folder / "link.csv").is_symlink() and bashrc.read_text() == "# mine\n"

    run(body)


def test_export_in_a_browser_goes_to_the_browser(make_app, ctx, settings, monkeypatch):
    """Under textual-serve (``is_web``) nothing is written on the host: the CSV is handed
    to ``deliver_text`` as a download."""
    from portplus_tui.ui.app import PortPlusApp

    monkeypatch.setattr(PortPlusApp, "is_web", property(lambda self: True))
    app = make_app()
    session = session_of(ctx, USER)
    delivered: list = []

    def deliver_text(path_or_file, **kwargs):
        delivered.append((path_or_file.read(), kwargs))
        path_or_file.close()
        return "key-1"

    app.deliver_text = deliver_text

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, USER)
            modal = await open_export(app, pilot)
            assert "ブラウザのダウンロード" in text(modal.query_one("#pp-export-folder"))
            await export_as(app, pilot, modal, "~/.bashrc")
            assert "ファイル名だけ" in text(modal.query_one("#pp-export-error"))
            assert delivered == []
            await export_as(app, pilot, modal, "for-me")
            await wait_for(app, pilot, lambda: modal.written is not None)
            ((content, kwargs),) = delivered
            assert kwargs == {"save_filename": "for-me.csv", "mime_type": "text/csv"}
            rows = [tuple(r) for r in csv.reader(content.splitlines())]
            q = pane.page.query
            expected = list(apps.export_rows(ctx, session, q.start, q.end))
            assert rows == [apps.EXPORT_HEADER, *[tuple(str(c) for c in r) for r in expected]]
            done = text(modal.query_one("#pp-export-done"))
            assert "for-me.csv" in done and "ブラウザ" in done and f"{pane.page.total} 件" in done
            assert not settings.resolved_export_dir.exists()

    run(body)


def test_export_leaves_out_cancelled_rows_when_the_list_hides_them(make_app, ctx, settings):
    """「キャンセル済を表示」 off (t): the export is the list's search, cancelled rows out."""
    app = make_app()
    session = session_of(ctx, ADMIN)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            await pilot.press("t")
            await settle(app, pilot)
            query = pane.page.query
            assert not query.include_cancelled
            modal = await open_export(app, pilot)
            assert "キャンセル済を除いて" in " ".join(
                text(w) for w in modal.query(".pp-message"))
            await export_as(app, pilot, modal, "active")
            await wait_for(app, pilot, lambda: modal.written is not None)
            rows = csv_rows(settings.resolved_export_dir / "active.csv")[1:]
            expected = list(apps.export_rows(ctx, session, query.start, query.end,
                                             include_cancelled=False))
            assert rows == [tuple(str(c) for c in r) for r in expected]
            assert len(rows) == pane.page.total
            assert "キャンセル済" not in {r[5] for r in rows}
            everything = list(apps.export_rows(ctx, session, query.start, query.end))
            assert len(everything) > len(rows)  # the demo month has cancelled rows

    run(body)


# ------------------------------------------------------------------ small screens, texts
@app_test(size=(80, 24))
async def test_usable_at_80x24(app, pilot, ctx) -> None:
    pane = await open_list(app, pilot, ADMIN)
    for widget_id in ("#pp-new", "#pp-month", "#pp-period-search", "#pp-search-btn",
                      "#pp-summary", "#pp-pager", "#pp-export-btn"):
        region = pane.query_one(widget_id).region
        assert region.right <= 80 and region.bottom <= 23, widget_id
    table = pane.query_one("#pp-table", DataTable)
    assert table.region.height >= 11  # header and a page of 10
    await pilot.press("v")
    cal = pane.query_one(MonthCalendar)
    await wait_for(app, pilot, lambda: cal.view is not None)
    assert cal.region.height >= 13 and cal.region.right <= 80


def test_portplus_texts_have_no_ambiguous_width_glyphs():
    for catalogue in (messages_ja.MESSAGES, messages_en.MESSAGES):
        for key, value in catalogue.items():
            if key.startswith("pp."):
                bad = [c for c in value if unicodedata.east_asian_width(c) == "A"]
                assert not bad, (key, bad)
    sources = Path(__file__).resolve().parents[2] / "portplus_tui" / "ui"
    for path in [*sources.glob("panes/portplus*.py"), sources / "screens/application_form.py"]:
        body = path.read_text(encoding="utf-8")
        bad = {c for c in body if unicodedata.east_asian_width(c) == "A"}
        assert not bad, (path.name, bad)


@app_test(as_=USER)
async def test_palette_command_opens_the_new_form(app, pilot, ctx) -> None:
    from portplus_tui.ui.commands import palette_entries

    entries = {label: callback for label, _help, callback
               in palette_entries(app, app.screen)}
    entries["ポートプラス新規申込"]()
    await wait_for(app, pilot, lambda: isinstance(app.screen, ApplicationFormScreen))
    assert app.screen.mode == "new"
    assert app.screen.query_one("#applicant", Input).value == "佐藤 花子"
    await pilot.press("escape")  # nothing typed: closes without asking
    await settle(app, pilot)
    pane = app.screen.query_one(PortPlusPane)
    await wait_for(app, pilot, lambda: pane.page is not None)
    assert pane.page.query.start == date(2026, 2, 21)


def test_fast_table_renderer_matches_datatable(make_app, ctx):
    """ResultsTable renders and measures its one-line cells itself (speed); the lines
    must be exactly what DataTable's own renderer gives."""
    from rich.cells import cell_len
    from textual.geometry import Region

    from portplus_tui.ui.widgets.tables import ResultsTable

    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            await pilot.press("p")  # 20 rows: cursor, zebra stripes, cancelled rows
            await settle(app, pilot)
            table = pane.query_one(ResultsTable)
            table.move_cursor(row=3)
            await settle(app, pilot)
            region = Region(0, 0, table.size.width, table.size.height)
            widths = [c.content_width for c in table.ordered_columns]
            table._clear_caches()
            fast = [list(strip) for strip in table.render_lines(region)]
            for column in table.ordered_columns:  # back to the header's width
                column.content_width = cell_len(column.label.plain)
            DataTable._update_dimensions(table, list(table.rows))
            assert [c.content_width for c in table.ordered_columns] == widths
            table._clear_caches()
            assert "_render_cell" not in ResultsTable.__dict__  # (FastTableRendering's)
            try:
                ResultsTable._render_cell = DataTable._render_cell
                slow = [list(strip) for strip in table.render_lines(region)]
            finally:
                del ResultsTable._render_cell
            assert fast == slow

    run(body)


def test_fast_table_render_path_matches_datatable(make_app, ctx):
    """ResultsTable's whole render path (ui/textual_compat.FastTableRendering: styles
    looked up once a frame, its own line-in-row and cell renderers) gives exactly
    DataTable's lines: header, zebra rows,
    cursor row, cancelled rows, focused or not, and after a page of another size."""
    from textual.geometry import Region

    from portplus_tui.ui.textual_compat import FastTableRendering
    from portplus_tui.ui.widgets.tables import ResultsTable

    overrides = ("render_lines", "render_line", "_get_row_style", "_render_line_in_row",
                 "_render_cell")
    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            table = pane.query_one(ResultsTable)

            def both() -> tuple[list, list]:
                region = Region(0, 0, table.size.width, table.size.height)
                table._clear_caches()
                fast = [list(strip) for strip in table.render_lines(region)]
                table._clear_caches()
                # The fast path is ui/textual_compat.FastTableRendering, a base of
                # ResultsTable; DataTable's own methods set on ResultsTable shadow it.
                assert all(name in FastTableRendering.__dict__ for name in overrides)
                assert not any(name in ResultsTable.__dict__ for name in overrides)
                try:
                    for name in overrides:
                        setattr(ResultsTable, name, getattr(DataTable, name))
                    slow = [list(strip) for strip in table.render_lines(region)]
                finally:
                    for name in overrides:
                        delattr(ResultsTable, name)
                table._clear_caches()
                return fast, slow

            for keys in ((), ("p",), ("down", "down"), ("p", "pagedown")):
                if keys:
                    await pilot.press(*keys)
                    await settle(app, pilot)
                fast, slow = both()
                assert fast == slow and len(fast) == table.size.height
            pane.query_one("#pp-month").focus()  # the table unfocused: other styles
            await settle(app, pilot)
            fast, slow = both()
            assert fast == slow

    run(body)


# ------------------------------------------------------------------ slow loads
@pytest.mark.parametrize("view", ["list", "calendar"])
def test_slow_load_keeps_focus_and_type_ahead(make_app, ctx, monkeypatch, view):
    """A page or month that takes long to load shows the widget busy but leaves the
    focus on it: the keys typed meanwhile still act (CI once lost the focus here when
    Textual's loading indicator made the calendar unfocusable)."""
    import threading

    from portplus_tui.services import calendar_view
    from portplus_tui.ui.panes import portplus as pane_module

    gate = threading.Event()
    real_page, real_month = apps.list_page, calendar_view.month_view

    def slow(real):
        def wrapper(*args, **kwargs):
            gate.wait(30)
            return real(*args, **kwargs)
        return wrapper

    async def paused_until(pilot, predicate, rounds: int = 500) -> None:
        # settle() waits for the workers, which are held at the gate here; the
        # loading timer needs the clock to move, so this polls (bounded).
        for _ in range(rounds):
            await pilot.pause(0.01)
            if predicate():
                return
        raise AssertionError("condition not reached")

    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            monkeypatch.setattr(pane_module, "LOADING_DELAY", 0.001)
            monkeypatch.setattr(apps, "next_page", slow(apps.next_page))
            monkeypatch.setattr(calendar_view, "month_view", slow(real_month))
            try:
                if view == "calendar":
                    target = pane.query_one(MonthCalendar)
                    await pilot.press("v")
                else:
                    target = pane.query_one("#pp-table")
                    await pilot.press("pagedown")
                await paused_until(pilot, lambda: target.has_class("-busy"))
                assert app.focused is target and not target.loading
                if view == "calendar":
                    before = target.cursor
                    await pilot.press("right")
                    await pilot.pause()
                    assert target.cursor == date.fromordinal(before.toordinal() + 1)
            finally:
                gate.set()
            if view == "calendar":
                await wait_for(app, pilot, lambda: target.view is not None
                               and not target.has_class("-busy"))
            else:
                await wait_for(app, pilot, lambda: pane.page.page == 2
                               and not target.has_class("-busy"))
            assert app.focused is target

    run(body)
    assert real_page is apps.list_page


@app_test()
async def test_after_a_search_the_list_has_the_keyboard_and_esc_in_the_search_bar_goes_back(app, pilot) -> None:
    """Issue 13, point 3: 月検索, 期間検索, 表示数 and キャンセル済を表示 give the focus back
    to the list, so PageDown pages the rows found; Esc in a search field returns to the
    list, not to the side menu; an error keeps the focus in the field it is about."""
    pane = await open_list(app, pilot, ADMIN)
    table = pane.query_one("#pp-table")
    await pilot.press("slash")  # to 月検索
    await settle(app, pilot)
    month = pane.query_one("#pp-month", Input)
    assert app.focused is month
    month.value = ""
    await type_text(app, pilot, "202603\r")
    assert app.focused is table and pane.page.query.start == date(2026, 3, 21)
    # 期間検索 typed in one burst, then PageDown for the next page
    start, end = pane.query_one("#pp-from", Input), pane.query_one("#pp-to", Input)
    start.focus()
    start.value = end.value = ""
    await settle(app, pilot)
    await type_text(app, pilot, "20260101\t20261231\r")
    assert app.focused is table and pane.page.query.end == date(2026, 12, 31)
    await pilot.press("pagedown")
    await settle(app, pilot)
    assert pane.page.page == 2
    # an error found by the service keeps the focus in its field
    end.focus()
    end.value = ""
    await type_text(app, pilot, "20251231\r")
    assert app.focused is end and "開始日は終了日以前" in text(
        pane.query_one("#pp-search-error", Static))
    # Esc in a search field: the list, not the menu
    await pilot.press("escape")
    await settle(app, pilot)
    assert app.focused is table
    # 表示数 chosen from its drop-down
    pane.query_one("#pp-size").focus()
    await settle(app, pilot)
    await pilot.press("enter", "down", "enter")
    await settle(app, pilot)
    assert pane.page.query.page_size == 20 and app.focused is table
    # キャンセル済を表示 toggled with Space
    pane.query_one("#pp-show-cancelled").focus()
    await settle(app, pilot)
    await pilot.press("space")
    await settle(app, pilot)
    assert pane.page.query.include_cancelled is False and app.focused is table


def test_y_copies_the_application_number_and_shift_y_the_row(make_app, ctx):
    """Issue 13, point 17: copy through OSC 52 (App.copy_to_clipboard), which works over
    SSH; the notification says what was copied."""
    app = make_app()
    sent: list[str] = []

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            original = app.copy_to_clipboard

            def spy(text: str) -> None:
                sent.append(text)
                original(text)

            app.copy_to_clipboard = spy
            await pilot.press("down", "y")
            await settle(app, pilot)
            view = pane.rows[1]
            assert sent == [view.number] and app.clipboard == view.number
            assert any(view.number in text and "コピー" in text for text in notifications(app))
            await pilot.press("Y")
            await settle(app, pilot)
            cells = sent[-1].split("\t")
            assert cells == [str(c) for c in apps.export_cells(view)] and len(cells) == 7
            assert "Y コピー" in screen_text(app)

    run(body)


def test_the_list_shows_the_application_day_as_the_manual_and_the_form_names_the_default(
        make_app):
    """Issue 13, point 14: 申込日 as 「2021年2月26日(金)」 like 適用日 where the pane is 100
    columns wide (at 150x40); narrower it stays 2021-02-26 so that the キャンセル column
    still fits at 120x36 (README). An empty 申込者 becomes the operator's name, and the
    form says so in the field."""
    import re

    for size, pattern in (((150, 40), r"\d{4}年\d{1,2}月\d{1,2}日\(.\)"),
                          (SIZE, r"\d{4}-\d{2}-\d{2}")):
        app = make_app()

        async def body():
            async with app.run_test(size=size) as pilot:
                pane = await open_list(app, pilot, ADMIN)
                cells = row_cells(pane, 0)
                assert re.fullmatch(pattern, cells[5]), cells
                last = screen_text(app).splitlines()[8]  # the first row: キャンセル fits
                assert last.rstrip().endswith(("キャンセル", "キャンセル済", "期限切れ")), last
                await pilot.press("n")
                await settle(app, pilot)
                field = app.screen.query_one("#applicant", Input)
                field.value = ""
                await settle(app, pilot)
                assert field.placeholder == "空欄の場合は「山田 太郎」で申し込みます"
                assert "空欄の場合は「山田 太郎」で申し込みます" in screen_text(app)

        run(body)


@app_test(size=(80, 24))
async def test_a_dialog_shows_only_its_own_keys(app, pilot) -> None:
    """Issue 13, point 5: with the cancel dialog or the history open, the list's keys
    (「C キャンセル」, 「PgDn 次へ」) are not on screen; back on the list they are."""
    pane = await open_list(app, pilot, ADMIN)
    await move_to(app, pilot, pane, first_modifiable(pane).id)
    for key, dialog in (("c", CancelModal), ("h", HistoryModal)):
        await pilot.press(key)
        await settle(app, pilot)
        assert isinstance(app.screen, dialog)
        bottom = "\n".join(screen_text(app).splitlines()[-4:])
        assert "Esc 閉じる" in bottom
        assert "PgDn 次へ" not in bottom and "C キャンセル" not in bottom, bottom
        await pilot.press("escape")
        await settle(app, pilot)
        assert "PgDn 次へ" in screen_text(app)
