"""Tables: ``RowTable`` (a row cursor whose Left / Right move the view by half its width)
and ``ResultsTable``, the Port Plus list's fast table (its row keys post ``RowAction``).

DataTable scrolls one cell per Left / Right press when the cursor selects rows: at 80
columns the ポートプラス list's キャンセル column (or the account list's 状態) lay a dozen
presses away. Here one or two presses show the rest of the row and bring it back.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widgets import DataTable

from portplus_tui.ui.app_messages import RowAction
from portplus_tui.ui.i18n import localize_bindings
from portplus_tui.ui.textual_compat import FastTableRendering, hide_hover_cursor


class RowTable(DataTable):
    """A DataTable (any cursor type); with a row cursor Left / Right scroll half a width."""

    def _sideways(self, direction: int) -> bool:
        if self.show_cursor and self.cursor_type in ("cell", "column"):
            return False
        step = max(1, self.scrollable_content_region.width // 2)
        hide_hover_cursor(self)
        self.scroll_to(x=self.scroll_x + direction * step, animate=False)
        return True

    def action_cursor_right(self) -> None:
        if not self._sideways(+1):
            super().action_cursor_right()

    def action_cursor_left(self) -> None:
        if not self._sideways(-1):
            super().action_cursor_left()


class ResultsTable(FastTableRendering, RowTable, inherit_bindings=False):
    """The page of applications. Page keys belong to the pane (not DataTable's scroll).
    Drawn and measured by ui/textual_compat.FastTableRendering (a page of 100 in a few
    milliseconds, bench/tui_paging.py)."""

    BINDINGS = [
        Binding("enter", "select_cursor", "pp.key.change", key_display="Enter",
                id="portplus.change"),
        Binding("c", "row('cancel')", "pp.key.cancel", key_display="C", id="portplus.cancel"),
        Binding("delete", "row('cancel')", "pp.key.cancel", show=False),
        Binding("h", "row('history')", "pp.key.history", key_display="H",
                id="portplus.history"),
        # Copy over SSH and in a browser: OSC 52 (App.copy_to_clipboard).
        Binding("y", "row('copy')", "pp.key.copy", key_display="Y", id="portplus.copy"),
        Binding("Y", "row('copy_row')", "pp.key.copy_row", key_display="Shift+Y",
                id="portplus.copy_row", show=False),
        Binding("up", "cursor_up", show=False),
        Binding("down", "cursor_down", show=False),
        Binding("left", "cursor_left", show=False),
        Binding("right", "cursor_right", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        localize_bindings(self)

    def action_row(self, what: str) -> None:
        self.post_message(RowAction(what))
