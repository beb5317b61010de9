"""SVG snapshot of the アカウント管理 pane at 120x36 (pytest-textual-snapshot), with the
focus on the table and the admin's own row selected.

Update after a deliberate change with ``pytest tests/ui/test_accounts_snapshot.py
--snapshot-update`` and look at the new file in ``__snapshots__`` before committing.
"""

from __future__ import annotations

from textual.widgets import DataTable

from portplus_tui.ui.screens.main import MainScreen

from .support import ADMIN, SIZE, login, settle


def test_accounts_pane(snap_compare, make_app):
    app = make_app()

    async def run_before(pilot) -> None:
        await login(app, pilot, ADMIN)
        assert isinstance(app.screen, MainScreen)
        await pilot.press("f4")
        await settle(app, pilot)
        assert app.focused is app.screen.query_one("#accounts-table", DataTable)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
