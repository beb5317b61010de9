"""Dialogs of the ポートプラス pane: キャンセル (R-APP-5), 履歴 and CSV export.

Each is a ``ModalScreen``; Esc closes it (R-UI-4). Service calls run in thread workers
through ``app.run_service``; the dialog shows ``loading`` meanwhile.
"""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path
from typing import Any, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Static

from portplus_tui.core.errors import ConflictError, PortPlusError
from portplus_tui.ui.app_messages import LiveChanged
from portplus_tui.ui.base import Guarded, SubmitKeys, submit_bindings
from portplus_tui.ui.host import host
from portplus_tui.ui.i18n import get_lang, localize_bindings, t
from portplus_tui.ui.panes.portplus_common import fmt_date, fmt_datetime
from portplus_tui.ui.screens.live_warning import WarnsOnLiveChange
from portplus_tui.ui.styles import PORTPLUS_DIALOGS_CSS
from portplus_tui.ui.widgets.keybar import KeyBar
from portplus_tui.ui.widgets.prose import Prose
from portplus_tui.ui.widgets.tables import RowTable


class PortPlusDialog(Guarded, ModalScreen):
    CSS_PATH = str(PORTPLUS_DIALOGS_CSS)
    BINDINGS = [
        Binding("escape", "close", "key.close", key_display="Esc", id="portplus.dialog.close"),
        Binding("left", "app.focus_previous", show=False),
        Binding("right", "app.focus_next", show=False),
    ]

    #: the widget focused when the dialog opens
    FIRST_FOCUS = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        localize_bindings(self)
        self._busy = False
        self.result: Any = None  # what closing the dialog gives back

    def on_mount(self) -> None:
        if self.FIRST_FOCUS:
            self.query_one(self.FIRST_FOCUS).focus()

    def action_close(self) -> None:
        if not self._busy:
            self.dismiss(self.result)

    def ending(self, name: str, run_label: str,
               variant: Literal["primary", "error"]) -> ComposeResult:
        """The error and done lines under a dialog's question, and its two buttons:
        閉じる and ``run_label`` (ids ``pp-<name>-error|done|close|run``; the second
        runs ``action_run_<name>``)."""
        yield self.hidden(Prose("", classes="pp-error", markup=False, id=f"pp-{name}-error"))
        yield self.hidden(Prose("", classes="pp-done", markup=False, id=f"pp-{name}-done"))
        yield Horizontal(
            Button(t("pp.close"), id=f"pp-{name}-close", action="screen.close"),
            Button(run_label, id=f"pp-{name}-run", action=f"screen.run_{name}",
                   variant=variant),
            classes="pp-buttons")

    @staticmethod
    def row(label: str, value: str, value_id: str | None = None) -> Horizontal:
        return Horizontal(Prose(label, classes="pp-label", markup=False),
                          Prose(value, classes="pp-value", markup=False, id=value_id),
                          classes="pp-row")

    @staticmethod
    def hidden(widget: Static) -> Static:
        widget.display = False
        return widget

    def say(self, selector: str, text: str) -> None:
        widget = self.query_one(selector, Static)
        widget.update(text)
        widget.display = bool(text)


# ------------------------------------------------------------------ キャンセル
class CancelModal(WarnsOnLiveChange, PortPlusDialog):
    """ポートプラス申込キャンセル: the application's fields, 閉じる and キャンセル実行.

    Dismisses with the cancelled ``ApplicationView``, or ``"reload"`` when the row
    changed meanwhile, or None (closed)."""

    FIRST_FOCUS = "#pp-cancel-close"

    # another session changed or cancelled it meanwhile (issue 15)
    def live_item(self) -> tuple[str, Any] | None:
        return ("application", self.view) if self.result is None else None

    def live_warn(self, text: str) -> None:
        self.say("#pp-cancel-error", text)

    def __init__(self, view, contracted_ports: int | None) -> None:
        super().__init__(id="pp-cancel")
        self.view = view
        self.contracted = contracted_ports

    def compose(self) -> ComposeResult:
        v = self.view
        with Vertical(classes="pp-dialog"):
            yield Prose(t("pp.cancel.title"), classes="pp-dialog-title", markup=False)
            yield self.row(t("pp.f.contract_ports"),
                           "-" if self.contracted is None else str(self.contracted))
            yield self.row(t("pp.f.number"), v.number)
            yield self.row(t("pp.f.apply_date"), v.apply_date.isoformat())
            yield self.row(t("pp.f.ports"), str(v.ports))
            yield self.row(t("pp.f.applicant"), v.applicant)
            yield Prose(t("pp.cancel.question", deadline=fmt_date(v.deadline)),
                         classes="pp-message", markup=False, id="pp-cancel-question")
            yield from self.ending("cancel", t("pp.cancel.run"), "error")
        yield KeyBar()

    def action_run_cancel(self) -> None:
        if self._busy or self.result is not None:
            return
        self._busy = True
        app = host(self)
        button = self.query_one("#pp-cancel-run", Button)
        app.run_service(self, app.clients.applications.cancel(self.view), done=self._done,
                        failed=self._failed, busy=button)

    def _done(self, cancelled) -> None:
        self._busy = False
        self.result = cancelled
        self.say("#pp-cancel-question", "")
        text = t("pp.cancel.done", number=cancelled.number)
        if cancelled.mail_failed:
            text += " " + t("pp.mail_failed")
        self.say("#pp-cancel-done", text)
        self.query_one("#pp-cancel-run", Button).display = False
        self.query_one("#pp-cancel-close", Button).focus()

    def _failed(self, exc: PortPlusError) -> None:
        self._busy = False
        text = exc.message(get_lang())
        if isinstance(exc, ConflictError) and exc.code != "cancelled_elsewhere":
            self.result = "reload"
            text += " " + t("pp.reload_hint")
            self.query_one("#pp-cancel-run", Button).display = False
        self.say("#pp-cancel-error", text)
        self.query_one("#pp-cancel-close", Button).focus()


# ------------------------------------------------------------------ 履歴
_ACTION_KEYS = {"new": "pp.hist.new", "change": "pp.hist.change", "cancel": "pp.hist.cancel"}


def describe_revision(rev, before) -> str:
    """What this revision changed, in words (the first one: what was applied for)."""
    if before is None or rev.action == "new":
        return t("pp.hist.created", date=rev.apply_date.isoformat(), ports=rev.ports,
                 applicant=rev.applicant)
    if rev.action == "cancel":
        return t("pp.hist.cancelled")
    changes = []
    if rev.apply_date != before.apply_date:
        changes.append(t("pp.hist.diff", field=t("pp.f.apply_date"),
                         old=before.apply_date.isoformat(), new=rev.apply_date.isoformat()))
    if rev.ports != before.ports:
        changes.append(t("pp.hist.diff", field=t("pp.f.ports"), old=before.ports, new=rev.ports))
    if rev.applicant != before.applicant:
        changes.append(t("pp.hist.diff", field=t("pp.f.applicant"), old=before.applicant,
                         new=rev.applicant))
    return ", ".join(changes) or "-"


class HistoryModal(PortPlusDialog):
    """An application's revisions: 申込番号, 操作, 日時, 担当 (who), 変更内容 (what)."""

    def __init__(self, view) -> None:
        super().__init__(id="pp-history", classes="-wide")
        self.view = view
        self.revisions: list = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="pp-dialog"):
            yield Prose(t("pp.hist.title", number=self.view.number), classes="pp-dialog-title",
                         markup=False)
            table: DataTable = RowTable(id="pp-history-table", cursor_type="row",
                                         zebra_stripes=True)
            table.add_columns(t("pp.f.number"), t("pp.hist.col_action"), t("pp.hist.col_at"),
                              t("pp.hist.col_actor"), t("pp.hist.col_what"))
            yield table
            yield self.hidden(Prose("", classes="pp-error", markup=False, id="pp-history-error"))
            with Horizontal(classes="pp-buttons"):
                yield Button(t("pp.close"), id="pp-history-close", action="screen.close")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#pp-history-table", DataTable).focus()
        self._load()

    def _load(self) -> None:
        app = host(self)
        app.run_service(self, app.clients.applications.history(self.view.id), done=self._show,
                        failed=self._failed, busy=self.query_one("#pp-history-table", DataTable))

    def on_live_changed(self, message: LiveChanged) -> None:
        """Another session changed this application: its history has a new line."""
        if any(change.kind == "reset" or (change.kind == "application"
                                          and change.item_id == self.view.id)
               for change in message.changes):
            self._load()

    def _show(self, revisions: list) -> None:
        self.revisions = revisions
        table = self.query_one("#pp-history-table", DataTable)
        table.clear()
        before = None
        for rev in revisions:
            table.add_row(rev.number, t(_ACTION_KEYS.get(rev.action, "pp.hist.change")),
                          fmt_datetime(rev.at), Text(rev.actor),
                          Text(describe_revision(rev, before)), key=str(rev.version))
            before = rev

    def _failed(self, exc: PortPlusError) -> None:
        self.say("#pp-history-error", exc.message(get_lang()))



# ------------------------------------------------------------------ CSV export
def shown_path(path: object) -> str:
    """A path or name as a message may show it: control and format characters (ESC, NUL,
    bidi overrides) as ``\\xNN`` / ``\\uNNNN``, never sent raw to the terminal."""
    return "".join(char if unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp")
                   else ascii(char)[1:-1] for char in str(path))


class ExportModal(SubmitKeys, PortPlusDialog):
    """CSV出力: the list's current search (its period, and cancelled rows only when the
    list shows them) to a file the user names in the export folder (``export_dir``).
    Its one field takes the keys of every form: Enter (or Ctrl+S) runs 出力.

    The user types a file NAME, never a path: ``services.exports`` refuses paths and
    other names and says why under the field; an earlier export of the same name is
    replaced only when 出力 is pressed again. In a browser (textual-serve) nothing is
    written on the host: the CSV is handed to the browser as a download."""

    BINDINGS = [*submit_bindings("portplus.export", "pp.export.run", one_field=True)]
    FIRST_FOCUS = "#pp-export-name"

    def __init__(self, query, default_name: str, folder: Path, *, web: bool = False) -> None:
        super().__init__(id="pp-export")
        self.list_query = query
        self.default_name = default_name
        self.folder = folder
        self.web = web
        self.written: Path | None = None  # the file written (or, in a browser, its name)
        self._overwrite_asked = ""
        self._done_text = ""

    def compose(self) -> ComposeResult:
        q = self.list_query
        with Vertical(classes="pp-dialog"):
            yield Prose(t("pp.export.title"), classes="pp-dialog-title", markup=False)
            what = "pp.export.what" if q.include_cancelled else "pp.export.what_active"
            yield Prose(t(what, start=fmt_date(q.start), end=fmt_date(q.end)),
                         markup=False, classes="pp-message")
            where = (t("pp.export.browser") if self.web
                     else t("pp.export.folder", folder=shown_path(self.folder)))
            yield Prose(where, classes="pp-message", markup=False, id="pp-export-folder")
            yield Prose(t("pp.export.name"), classes="pp-message", markup=False)
            yield Input(self.default_name, id="pp-export-name")
            yield from self.ending("export", t("pp.export.run"), "primary")
        yield KeyBar()

    def action_close(self) -> None:
        if not self._busy:
            self.dismiss(self.written)
            if self._done_text:
                # said in the dialog while it is open; after, over the list (a notification
                # over the dialog would cover its buttons at 80x24)
                self.app.notify(self._done_text, markup=False, timeout=8)

    def submit_form(self) -> None:
        self.action_run_export()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._overwrite_asked = ""

    def action_run_export(self) -> None:
        if self._busy:
            return
        name = self.query_one("#pp-export-name", Input).value
        self.say("#pp-export-error", "")
        self.say("#pp-export-done", "")
        overwrite = bool(self._overwrite_asked) and self._overwrite_asked == name
        self._overwrite_asked = ""
        self._busy = True
        app = host(self)
        call = app.clients.applications.export(name, self.list_query, web=self.web,
                                               overwrite=overwrite)
        app.run_service(self, call, done=self._done, failed=self._failed,
                        busy=self.query_one("#pp-export-run", Button))

    def _done(self, result) -> None:
        self._busy = False
        if self.web:
            # Handed to the browser (textual-serve): nothing is written on the host.
            self.app.deliver_text(io.StringIO(result.text), save_filename=result.name,
                                  mime_type="text/csv")
            self.written = Path(result.name)
            text = t("pp.export.sent", name=shown_path(result.name), count=result.count)
        else:
            self.written = result.path
            text = t("pp.export.done", path=shown_path(result.path), count=result.count)
        self.say("#pp-export-done", text)
        self._done_text = text
        self.query_one("#pp-export-close", Button).focus()

    def _failed(self, exc: PortPlusError) -> None:
        from portplus_tui.services.exports import ExportExists, ExportFailed

        self._busy = False
        if isinstance(exc, ExportExists):
            # Asked once; 出力 again (the same name) replaces the earlier export.
            self._overwrite_asked = self.query_one("#pp-export-name", Input).value
            text = t("pp.export.exists", path=shown_path(exc.path))
        elif isinstance(exc, ExportFailed):
            text = t("pp.export.failed", path=shown_path(exc.path),
                     reason=shown_path(exc.reason))
        else:  # the name refused, something at the name that is not ours, the session
            text = shown_path(exc.message(get_lang()))
        self.say("#pp-export-error", text)
