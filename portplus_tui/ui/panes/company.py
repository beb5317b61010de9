"""会社情報 (R-INF-2): 「〈会員名〉様 情報」 with the tabs 会社情報, ご契約情報 and Note.

ご契約情報 is the manual's table: 会員番号, 会員名, 住所, 契約ポート数. It is the tab shown
first, as the manual's screenshot after login shows it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from portplus_tui.ui.i18n import t
from portplus_tui.ui.panes.base import Pane


class InfoTable(VerticalScroll):
    """A two-column table of label and value; long values wrap, the table scrolls."""

    DEFAULT_CLASSES = "info-table"

    def set_rows(self, heading: str, rows: list[tuple[str, str]]) -> None:
        self.remove_children()
        widgets = [Static(heading, classes="info-heading", markup=False)]
        for label, value in rows:
            widgets.append(Horizontal(Static(label, classes="info-label", markup=False),
                                      Static(value, classes="info-value", markup=False),
                                      classes="info-row"))
        self.mount_all(widgets)


class CompanyPane(Pane):
    def __init__(self) -> None:
        super().__init__(id="pane-info")
        self.info = None

    def compose(self) -> ComposeResult:
        yield Static(t("info.loading_title"), id="info-title", classes="pane-title", markup=False)
        with TabbedContent(initial="tab-contract", id="info-tabs"):
            with TabPane(t("info.tab_company"), id="tab-company"):
                yield InfoTable(id="company-table")
            with TabPane(t("info.tab_contract"), id="tab-contract"):
                yield InfoTable(id="contract-table")
            with TabPane(t("info.tab_note"), id="tab-note"):
                with VerticalScroll(id="note-scroll", classes="info-table"):
                    yield Static("", id="note-text", markup=False)

    def refresh_data(self) -> None:
        app = self.app
        session = app.session

        def job(ctx):
            from portplus_tui.services import companies

            return companies.company_info(ctx, session)

        app.run_service(self, job, done=self._show, busy=self, name="company_info")

    def _show(self, info) -> None:
        self.info = info
        self.query_one("#info-title", Static).update(t("info.title", name=info.name))
        self.query_one("#company-table", InfoTable).set_rows(t("info.tab_company"), [
            (t("info.name"), info.name),
            (t("info.address"), info.address),
        ])
        self.query_one("#contract-table", InfoTable).set_rows(t("info.tab_contract"), [
            (t("info.member_no"), info.member_no),
            (t("info.name"), info.name),
            (t("info.address"), info.address),
            (t("info.ports"), str(info.ports)),
        ])
        note = info.note.strip() or t("info.no_note")
        self.query_one("#note-text", Static).update(note)
