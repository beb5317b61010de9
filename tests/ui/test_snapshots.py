"""SVG snapshots of the main screens at 120x36 (pytest-textual-snapshot).

Update after a deliberate change with ``pytest tests/ui/test_snapshots.py
--snapshot-update`` and look at the new files in ``__snapshots__`` before committing.
The clock is fixed (support.START) and the demo data seeded with a fixed seed, so the
pictures do not depend on the day the tests run.
"""

from __future__ import annotations

from textual.widgets import Input

from portplus_tui.ui.screens.main import MainScreen
from portplus_tui.ui.screens.otp import OtpScreen

from .support import ADMIN, SIZE, TWO_FACTOR, login, settle


async def _steady(app, pilot) -> None:
    await settle(app, pilot)
    for field in app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def test_login_screen(snap_compare, make_app):
    app = make_app()
    assert snap_compare(app, terminal_size=SIZE, run_before=lambda pilot: _steady(app, pilot))


def test_otp_screen(snap_compare, make_app):
    app = make_app()

    async def run_before(pilot) -> None:
        await login(app, pilot, TWO_FACTOR)
        assert isinstance(app.screen, OtpScreen)
        await _steady(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_company_information(snap_compare, make_app):
    app = make_app()

    async def run_before(pilot) -> None:
        await login(app, pilot, ADMIN)
        assert isinstance(app.screen, MainScreen)
        await _steady(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
