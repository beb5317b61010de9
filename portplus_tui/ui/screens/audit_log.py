"""監査ログ (R-ACC-6) for admins: who did what, when, before and after.

Newest first, one page at a time (``audit.list_entries(last=, before_id=)``: keyset
paging, the table holds only the current page). PgDn shows the older page, PgUp the
newer one; Enter opens the whole entry (``AuditEntryScreen``), since the 変更内容 column
is cut to fit. Columns: 日時 (JST), 実行者, 操作, 対象, 変更内容 (``before -> after`` of
each changed field). Esc goes back to アカウント管理.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Static

from portplus_tui.core.calendar import JST
from portplus_tui.core.errors import PortPlusError
from portplus_tui.ui.base import Guarded
from portplus_tui.ui.host import host
from portplus_tui.ui.i18n import get_lang, has, localize_bindings, t
from portplus_tui.ui.styles import ACCOUNTS_CSS
from portplus_tui.ui.widgets.keybar import KeyBar
from portplus_tui.ui.widgets.prose import Prose
from portplus_tui.ui.widgets.tables import RowTable

PAGE_SIZE = 50
CHANGES_WIDTH = 60
"""Cells of 変更内容 shown in the table; Enter shows the whole entry."""

#: field order in 変更内容 (others follow alphabetically)
FIELD_ORDER = ("login_id", "name", "role", "department", "phone", "expires", "deleted",
               "failed_count", "locked_until")


def format_at(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S")


def action_label(action: str) -> str:
    key = f"audit.action.{action}"
    return t(key) if has(key) else action


def field_label(field: str, action: str | None = None) -> str:
    """The field's name in the operator's language; the same name means another thing
    in another area (``name``: 会員名 of a company, 担当者名 of an account)."""
    area = (action or "").split(".", 1)[0]
    for key in (f"audit.field.{area}.{field}", f"audit.field.{field}"):
        if has(key):
            return t(key)
    return field


#: fields whose value is a yes / no: an absent "before" is a no
BOOLEAN_FIELDS = frozenset({"deleted", "two_factor"})
#: coded values shown in words
VALUE_KEYS = {("status", "active"): "pp.status_active",
              ("status", "cancelled"): "pp.status_cancelled"}


def format_value(value: Any, field: str | None = None) -> str:
    if value is None and field in BOOLEAN_FIELDS:
        value = False
    key = VALUE_KEYS.get((field or "", value)) if isinstance(value, str) else None
    if key is not None:
        return t(key)
    if value is None:
        return t("audit.none")
    if value is True:
        return t("audit.true")
    if value is False:
        return t("audit.false")
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _ordered(keys: set[str]) -> list[str]:
    known = [key for key in FIELD_ORDER if key in keys]
    return known + sorted(keys - set(FIELD_ORDER))


def change_lines(before: dict | None, after: dict | None,
                 action: str | None = None) -> list[str]:
    """One line per field: ``label: before -> after`` for a change, ``label: value`` for
    what was created (or removed) as a whole; fields and values in the operator's
    language (issue 13, point 12)."""
    if before is not None and after is not None:
        return [
            f"{field_label(key, action)}: {format_value(before.get(key), key)} -> "
            f"{format_value(after.get(key), key)}"
            for key in _ordered(set(before) | set(after))
            if format_value(before.get(key), key) != format_value(after.get(key), key)
        ]
    values = after if after is not None else before
    if not values:
        return []
    return [f"{field_label(key, action)}: {format_value(values[key], key)}"
            for key in _ordered(set(values))]


def describe_changes(entry: Any) -> str:
    return " / ".join(change_lines(entry.before, entry.after, entry.action)) or "-"


def clip(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` terminal cells, ending with ASCII ``...`` (never the
    ambiguous-width ellipsis glyph)."""
    if cell_len(text) <= width:
        return text
    out = ""
    for char in text:
        if cell_len(out + char) > width - 3:
            break
        out += char
    return out + "..."


class AuditTable(RowTable):
    """The audit table: PgDn / PgUp change the page instead of scrolling inside it."""

    BINDINGS = [
        Binding("pagedown", "screen.older", "key.audit.older", key_display="PgDn",
                id="audit.older"),
        Binding("pageup", "screen.newer", "key.audit.newer", key_display="PgUp",
                id="audit.newer"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        localize_bindings(self)


class AuditLogScreen(Guarded, Screen[None]):
    CSS_PATH = str(ACCOUNTS_CSS)
    BINDINGS = [
        Binding("escape", "close", "key.back", key_display="Esc", id="audit.close"),
        Binding("f5", "reload", "key.accounts.reload", key_display="F5", id="audit.reload"),
    ]

    def __init__(self) -> None:
        super().__init__(id="audit-screen")
        localize_bindings(self)
        self.entries: list = []
        self._anchors: list[int | None] = [None]  # before_id of each page shown so far
        self._has_older = False

    def compose(self) -> ComposeResult:
        yield Prose(t("audit.title"), id="topbar", markup=False)
        with Vertical(id="audit-body"):
            yield Prose(t("audit.hint"), id="audit-hint", classes="pane-hint", markup=False)
            status = Prose("", id="audit-status", classes="status", markup=False)
            yield status
            table = AuditTable(id="audit-table", cursor_type="row", zebra_stripes=True)
            for column in ("at", "actor", "action", "target", "changes"):
                table.add_column(t(f"audit.col_{column}"), key=column)
            yield table
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#audit-table", AuditTable).focus()
        self.load()

    @property
    def page(self) -> int:
        return len(self._anchors) - 1

    # ----------------------------------------------------------------- data
    def load(self) -> None:
        anchor = self._anchors[-1]
        table = self.query_one("#audit-table", AuditTable)
        app = host(self)
        app.run_service(self, app.clients.audit.entries(PAGE_SIZE + 1, anchor), done=self._show,
                        failed=self._failed, busy=table)

    def _show(self, entries: list) -> None:
        self._has_older = len(entries) > PAGE_SIZE
        entries = entries[:PAGE_SIZE]
        if not entries and self.page > 0:  # the older page went away meanwhile
            self._anchors.pop()
            self.say(t("audit.no_older"))
            self.load()
            return
        self.entries = entries
        table = self.query_one("#audit-table", AuditTable)
        table.clear()
        for entry in entries:
            table.add_row(
                Text(format_at(entry.at)), Text(entry.actor), Text(action_label(entry.action)),
                Text(entry.target or "-"), Text(clip(describe_changes(entry), CHANGES_WIDTH)),
                key=str(entry.id),
            )
        if entries:
            first = self.page * PAGE_SIZE + 1
            self.say(t("audit.page", first=first, last=first + len(entries) - 1))
        else:
            self.say(t("audit.empty"))
        self.refresh_bindings()

    def _failed(self, exc: PortPlusError) -> None:
        self.say(exc.message(get_lang()), error=True)

    def say(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#audit-status", Static)
        status.update(text)
        status.set_classes("form-error" if error else "status")

    # ----------------------------------------------------------------- keys
    def action_older(self) -> None:
        if not self._has_older or not self.entries:
            self.say(t("audit.no_older"))
            return
        self._anchors.append(self.entries[-1].id)
        self.load()

    def action_newer(self) -> None:
        if self.page == 0:
            self.say(t("audit.no_newer"))
            return
        self._anchors.pop()
        self.load()

    def action_reload(self) -> None:
        self._anchors = [None]
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        for entry in self.entries:
            if str(entry.id) == key:
                self.app.push_screen(AuditEntryScreen(entry))
                return


class AuditEntryScreen(Guarded, ModalScreen[None]):
    """One audit entry in full: every field before and after, wrapped, scrollable (the
    text has the focus: arrows scroll it; Enter or Esc close)."""

    CSS_PATH = str(ACCOUNTS_CSS)
    BINDINGS = [
        Binding("escape", "close", "key.close", key_display="Esc", id="audit_entry.close"),
        Binding("enter", "close", "key.close", show=False),
    ]

    def __init__(self, entry: Any) -> None:
        super().__init__(classes="dialog")
        localize_bindings(self)
        self.entry = entry

    def compose(self) -> ComposeResult:
        entry = self.entry
        rows = [
            (t("audit.col_at"), format_at(entry.at)),
            (t("audit.col_actor"), entry.actor),
            (t("audit.col_action"), f"{action_label(entry.action)} ({entry.action})"),
            (t("audit.col_target"), entry.target or "-"),
            (t("audit.col_changes"),
             "\n".join(change_lines(entry.before, entry.after, entry.action)) or "-"),
            (t("audit.before"), self._all(entry.before, entry.action)),
            (t("audit.after"), self._all(entry.after, entry.action)),
        ]
        with Vertical(id="audit-entry-box"):
            yield Prose(t("audit.detail_title"), classes="card-title", markup=False)
            with VerticalScroll(id="audit-entry-scroll"):
                for label, value in rows:
                    yield Horizontal(Prose(label, classes="info-label", markup=False),
                                     Prose(value, classes="info-value", markup=False),
                                     classes="info-row")
            with Horizontal(classes="buttons account-buttons"):
                yield Button(t("accounts.close"), id="close", action="screen.close", variant="primary")
        yield KeyBar()

    @staticmethod
    def _all(values: dict | None, action: str | None = None) -> str:
        if values is None:
            return t("audit.none")
        return "\n".join(f"{field_label(key, action)}: {format_value(values[key], key)}"
                         for key in _ordered(set(values))) or "-"

    def on_mount(self) -> None:
        # the text has the focus: arrows and PgUp / PgDn scroll it, Enter or Esc close
        self.query_one("#audit-entry-scroll", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
