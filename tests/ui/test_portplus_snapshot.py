"""SVG snapshots of the ポートプラス screens at 120x36 (pytest-textual-snapshot): the
list, the new-application form, the cancel dialog and the calendar.

Update after a deliberate change with ``pytest tests/ui/test_portplus_snapshot.py
--snapshot-update`` and look at the new files in ``__snapshots__`` before committing.
The clock is fixed (support.START) and the demo data seeded with a fixed seed.
"""

from __future__ import annotations

from textual.widgets import Input

from portplus_tui.ui.panes.portplus import PortPlusPane
from portplus_tui.ui.screens.application_form import ApplicationFormScreen
from portplus_tui.ui.screens.portplus_dialogs import CancelModal
from portplus_tui.ui.widgets.month_calendar import MonthCalendar

from .support import ADMIN, SIZE, login, settle


async def _steady(app, pilot) -> None:
    for _ in range(5):
        await settle(app, pilot)
    # a table that is (re)loading is dimmed (class -busy): wait for it to end
    for _ in range(20):
        if not app.screen.query(".-busy") and not any(w.loading for w in app.screen.query("*")):
            break
        await settle(app, pilot)
    for field in app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


async def _open_list(app, pilot) -> PortPlusPane:
    await login(app, pilot, ADMIN)
    await pilot.press("f3")
    pane = app.screen.query_one(PortPlusPane)
    for _ in range(20):
        await settle(app, pilot)
        if pane.page is not None:
            break
    assert app.focused is pane.query_one("#pp-table")  # F3 gives the list the keyboard
    return pane


def test_portplus_list(snap_compare, make_app):
    app = make_app()

    async def run_before(pilot) -> None:
        await _open_list(app, pilot)
        await _steady(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_portplus_new_form(snap_compare, make_app, monkeypatch):
    monkeypatch.setattr(ApplicationFormScreen, "DEBOUNCE", 0)
    app = make_app()

    async def run_before(pilot) -> None:
        await _open_list(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, ApplicationFormScreen)
        await pilot.press(*"20260306")
        await _steady(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_portplus_cancel_modal(snap_compare, make_app):
    app = make_app()

    async def run_before(pilot) -> None:
        pane = await _open_list(app, pilot)
        index = next(i for i, row in enumerate(pane.rows) if row.can_modify)
        pane.query_one("#pp-table").move_cursor(row=index)
        await pilot.press("c")
        await settle(app, pilot)
        assert isinstance(app.screen, CancelModal)
        await _steady(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_portplus_calendar(snap_compare, make_app):
    app = make_app()

    async def run_before(pilot) -> None:
        pane = await _open_list(app, pilot)
        await pilot.press("v")
        calendar = pane.query_one(MonthCalendar)
        await pilot.press("pagedown")  # March 2026: 春分の日, today, past deadlines
        for _ in range(20):
            await settle(app, pilot)
            if calendar.view is not None and calendar.view.month == 3:
                break
        await pilot.press("home")
        await _steady(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
