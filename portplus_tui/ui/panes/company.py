"""会社情報 (R-INF-2): 「〈会員名〉様 情報」 with the tabs 会社情報, ご契約情報 and Note.

ご契約情報 is the manual's table: 会員番号, 会員名, 住所, 契約ポート数. It is the tab shown
first, as the manual's screenshot after login shows it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane

from portplus_tui.ui.host import host
from portplus_tui.ui.i18n import t
from portplus_tui.ui.panes.base import Pane
from portplus_tui.ui.widgets.prose import Prose


class InfoTable(VerticalScroll):
    """A two-column table of label and value; long values wrap, the table scrolls.

    Given its heading and labels up front, it builds its rows at once, hidden, and
    ``set_rows`` with those labels only fills in the values and shows them: when the
    data comes, that costs one layout instead of mounting a dozen widgets and then
    laying them out (bench/login_lag.py)."""

    DEFAULT_CLASSES = "info-table"

    def __init__(self, heading: str = "", labels: tuple[str, ...] = (), *,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self._heading = heading
        self._labels = tuple(labels)

    _filled = False  # set_rows has mounted rows itself

    def compose(self) -> ComposeResult:
        if self._labels and not self._filled:
            for widget in self._build_view(self._heading, [(label, "") for label in self._labels]):
                widget.display = False
                yield widget

    @staticmethod
    def _build_view(heading: str, rows: list[tuple[str, str]]) -> list[Widget]:
        widgets: list[Widget] = [Prose(heading, classes="info-heading", markup=False)]
        for label, value in rows:
            widgets.append(Horizontal(Prose(label, classes="info-label", markup=False),
                                      Prose(value, classes="info-value", markup=False),
                                      classes="info-row"))
        return widgets

    def set_rows(self, heading: str, rows: list[tuple[str, str]]) -> None:
        labels = tuple(label for label, _value in rows)
        children = list(self.children)
        if (labels and heading == self._heading and labels == self._labels
                and len(children) == len(rows) + 1):
            for row, (_label, value) in zip(children[1:], rows):
                row.query_one(".info-value", Static).update(value)
            for child in children:
                child.display = True
            return
        self._heading, self._labels, self._filled = heading, labels, True
        self.remove_children()
        self.mount_all(self._build_view(heading, rows))


def _company_rows(info) -> list[tuple[str, str]]:
    """The rows of 会社情報 (values empty without ``info``)."""
    return [
        (t("info.name"), info.name if info else ""),
        (t("info.address"), info.address if info else ""),
    ]


def _contract_rows(info) -> list[tuple[str, str]]:
    """The rows of ご契約情報 (values empty without ``info``)."""
    return [
        (t("info.member_no"), info.member_no if info else ""),
        (t("info.name"), info.name if info else ""),
        (t("info.address"), info.address if info else ""),
        (t("info.ports"), str(info.ports) if info else ""),
    ]


class CompanyPane(Pane):
    LIVE_KINDS = frozenset({"company"})  # the company's information and options

    def __init__(self) -> None:
        super().__init__(id="pane-info")
        self.info = None

    def compose(self) -> ComposeResult:
        yield Prose(t("info.loading_title"), id="info-title", classes="pane-title", markup=False)
        with TabbedContent(initial="tab-contract", id="info-tabs"):
            with TabPane(t("info.tab_company"), id="tab-company"):
                yield InfoTable(t("info.tab_company"),
                                tuple(label for label, _ in _company_rows(None)),
                                id="company-table")
            with TabPane(t("info.tab_contract"), id="tab-contract"):
                yield InfoTable(t("info.tab_contract"),
                                tuple(label for label, _ in _contract_rows(None)),
                                id="contract-table")
            with TabPane(t("info.tab_note"), id="tab-note"):
                with VerticalScroll(id="note-scroll", classes="info-table"):
                    yield Prose("", id="note-text", markup=False)

    def refresh_data(self) -> None:
        app = host(self)
        app.run_service(self, app.clients.company.info(), done=self._show, busy=self)

    def _show(self, info) -> None:
        self.info = info
        self.query_one("#info-title", Static).update(t("info.title", name=info.name))
        self.query_one("#company-table", InfoTable).set_rows(t("info.tab_company"),
                                                             _company_rows(info))
        self.query_one("#contract-table", InfoTable).set_rows(t("info.tab_contract"),
                                                              _contract_rows(info))
        note = info.note.strip() or t("info.no_note")
        self.query_one("#note-text", Static).update(note)
