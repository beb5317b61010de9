"""オプション (R-INF-3): every option the provider offers and whether the company uses it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable

from portplus_tui.ui.host import host
from portplus_tui.ui.i18n import get_lang, t
from portplus_tui.ui.panes.base import Pane
from portplus_tui.ui.widgets.prose import Prose
from portplus_tui.ui.widgets.tables import RowTable


class OptionsPane(Pane):
    LIVE_KINDS = frozenset({"company"})  # the company's information and options

    def __init__(self) -> None:
        super().__init__(id="pane-options")
        self.options: list = []

    def compose(self) -> ComposeResult:
        yield Prose(t("options.title"), classes="pane-title", markup=False)
        table: DataTable = RowTable(id="options-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(t("options.col_option"), t("options.col_state"))
        yield table
        yield Prose(t("options.hint"), classes="pane-hint", markup=False)

    def refresh_data(self) -> None:
        app = host(self)
        app.run_service(self, app.clients.company.options(), done=self._show, busy=self)

    def _show(self, options: list) -> None:
        self.options = options
        lang = get_lang()
        table = self.query_one("#options-table", DataTable)
        table.clear()
        for option in options:
            label = option.label_ja if lang == "ja" else option.label_en
            state = t("options.in_use") if option.enabled else t("options.not_in_use")
            table.add_row(Text(label), Text(state), key=option.code)
