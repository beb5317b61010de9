"""Tables with a row cursor whose Left / Right move the view by half its width.

DataTable scrolls one cell per Left / Right press when the cursor selects rows: at 80
columns the ポートプラス list's キャンセル column (or the account list's 状態) lay a dozen
presses away. Here one or two presses show the rest of the row and bring it back.
"""

from __future__ import annotations

from textual.widgets import DataTable

from portplus_tui.ui.textual_compat import hide_hover_cursor


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
