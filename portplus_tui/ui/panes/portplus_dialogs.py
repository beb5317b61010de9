"""Dialogs of the ポートプラス pane: キャンセル (R-APP-5), 履歴 and CSV export.

Each is a ``ModalScreen``; Esc closes it (R-UI-4). Service calls run in thread workers
through ``app.run_service``; the dialog shows ``loading`` meanwhile.
"""

from __future__ import annotations

import csv
import errno
import os
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Static

from portplus_tui.core.errors import ConflictError, PortPlusError
from portplus_tui.ui.base import Guarded
from portplus_tui.ui.i18n import get_lang, localize_bindings, t
from portplus_tui.ui.keybar import KeyBar
from portplus_tui.ui.panes.portplus_common import fmt_date, fmt_datetime
from portplus_tui.ui.tables import RowTable

DIALOG_CSS = """
PortPlusDialog { align: center middle; }
PortPlusDialog > .pp-dialog {
    width: 64; max-width: 100%; height: auto; max-height: 100%;
    padding: 1 2; border: thick $primary; background: $surface;
}
PortPlusDialog.-wide > .pp-dialog { width: 110; }
PortPlusDialog .pp-dialog-title { text-style: bold; margin-bottom: 1; }
PortPlusDialog .pp-row { height: auto; }
PortPlusDialog .pp-label { width: 16; text-style: bold; padding: 0 1; background: $boost; }
PortPlusDialog .pp-value { width: 1fr; padding: 0 1; }
PortPlusDialog .pp-message { margin-top: 1; height: auto; }
PortPlusDialog .pp-error { color: $text-error; text-style: bold; margin-top: 1; height: auto; }
PortPlusDialog .pp-done { color: $text-success; text-style: bold; margin-top: 1; height: auto; }
PortPlusDialog .pp-buttons { height: auto; margin-top: 1; align-horizontal: right; }
PortPlusDialog .pp-buttons Button { margin-left: 1; }
PortPlusDialog DataTable { height: auto; max-height: 20; }
Screen.-short PortPlusDialog > .pp-dialog { padding: 0 1; }
Screen.-short PortPlusDialog .pp-dialog-title { margin-bottom: 0; }
"""


class PortPlusDialog(Guarded, ModalScreen):
    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [
        Binding("escape", "close", "key.close", key_display="Esc", id="portplus.dialog.close"),
        Binding("left", "app.focus_previous", show=False),
        Binding("right", "app.focus_next", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        localize_bindings(self)
        self._busy = False

    def action_close(self) -> None:
        if not self._busy:
            self.dismiss(None)

    @staticmethod
    def row(label: str, value: str, value_id: str | None = None) -> Horizontal:
        return Horizontal(Static(label, classes="pp-label", markup=False),
                          Static(value, classes="pp-value", markup=False, id=value_id),
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
class CancelModal(PortPlusDialog):
    """ポートプラス申込キャンセル: the application's fields, 閉じる and キャンセル実行.

    Dismisses with the cancelled ``ApplicationView``, or ``"reload"`` when the row
    changed meanwhile, or None (closed)."""

    def __init__(self, view, contracted_ports: int | None) -> None:
        super().__init__(id="pp-cancel")
        self.view = view
        self.contracted = contracted_ports
        self.result: Any = None

    def compose(self) -> ComposeResult:
        v = self.view
        with Vertical(classes="pp-dialog"):
            yield Static(t("pp.cancel.title"), classes="pp-dialog-title", markup=False)
            yield self.row(t("pp.f.contract_ports"),
                           "-" if self.contracted is None else str(self.contracted))
            yield self.row(t("pp.f.number"), v.number)
            yield self.row(t("pp.f.apply_date"), v.apply_date.isoformat())
            yield self.row(t("pp.f.ports"), str(v.ports))
            yield self.row(t("pp.f.applicant"), v.applicant)
            yield Static(t("pp.cancel.question", deadline=fmt_date(v.deadline)),
                         classes="pp-message", markup=False, id="pp-cancel-question")
            yield self.hidden(Static("", classes="pp-error", markup=False, id="pp-cancel-error"))
            yield self.hidden(Static("", classes="pp-done", markup=False, id="pp-cancel-done"))
            with Horizontal(classes="pp-buttons"):
                yield Button(t("pp.close"), id="pp-cancel-close")
                yield Button(t("pp.cancel.run"), id="pp-cancel-run", variant="error")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#pp-cancel-close", Button).focus()

    def action_close(self) -> None:
        if not self._busy:
            self.dismiss(self.result)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "pp-cancel-close":
            self.action_close()
        elif event.button.id == "pp-cancel-run":
            self.run_cancel()

    def run_cancel(self) -> None:
        if self._busy or self.result is not None:
            return
        self._busy = True
        app = self.app
        session = app.session
        view = self.view
        button = self.query_one("#pp-cancel-run", Button)

        def job(ctx):
            from portplus_tui.services import applications

            return applications.cancel(ctx, session, view.id, version=view.version)

        app.run_service(self, job, done=self._done, failed=self._failed, busy=button,
                        name="portplus.cancel")

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
        if isinstance(exc, ConflictError):
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
            yield Static(t("pp.hist.title", number=self.view.number), classes="pp-dialog-title",
                         markup=False)
            table: DataTable = RowTable(id="pp-history-table", cursor_type="row",
                                         zebra_stripes=True)
            table.add_columns(t("pp.f.number"), t("pp.hist.col_action"), t("pp.hist.col_at"),
                              t("pp.hist.col_actor"), t("pp.hist.col_what"))
            yield table
            yield self.hidden(Static("", classes="pp-error", markup=False, id="pp-history-error"))
            with Horizontal(classes="pp-buttons"):
                yield Button(t("pp.close"), id="pp-history-close")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#pp-history-table", DataTable)
        table.focus()
        app = self.app
        session = app.session
        app_id = self.view.id

        def job(ctx):
            from portplus_tui.services import applications

            return applications.history(ctx, session, app_id)

        app.run_service(self, job, done=self._show, failed=self._failed, busy=table,
                        name="portplus.history")

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

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)


# ------------------------------------------------------------------ CSV export
def shown_path(path: object) -> str:
    """A typed path as a message may show it: control and format characters (ESC, NUL,
    bidi overrides) as ``\\xNN`` / ``\\uNNNN``, never sent raw to the terminal."""
    return "".join(char if unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp")
                   else ascii(char)[1:-1] for char in str(path))


def default_export_path(now: datetime) -> str:
    """``~/portplus-YYYYMMDD-HHMMSS.csv`` (local time of the machine running the app)."""
    stamp = now.astimezone().strftime("%Y%m%d-%H%M%S")
    return str(Path("~") / f"portplus-{stamp}.csv")


def write_export(rows, header, path: str, overwrite: bool = False) -> tuple[Path, int]:
    """Write ``header`` and ``rows`` as UTF-8 CSV to ``path`` (``~`` expanded).

    Refuses an existing file unless ``overwrite`` (FileExistsError). The rows go to a
    temporary file beside the target, renamed over it at the end: a failure half-way
    leaves no half-written file. Returns (absolute path, rows written)."""
    target = Path(os.path.expanduser(path.strip()))
    if not target.is_absolute():
        target = Path.cwd() / target
    if target.is_dir():
        raise IsADirectoryError(21, os.strerror(21), str(target))
    if target.exists() and not overwrite:
        raise FileExistsError(17, os.strerror(17), str(target))
    rows = iter(rows)
    first = next(rows, None)  # the service checks the session here, before any file exists
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    count = 0
    try:
        with open(temp, "x", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            if first is not None:
                writer.writerow(first)
                count = 1
                for row in rows:
                    writer.writerow(row)
                    count += 1
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target, count


class ExportModal(PortPlusDialog):
    """CSV出力: the list's current search (its period, and cancelled rows only when the
    list shows them) to a file the user names."""

    def __init__(self, query, default_path: str) -> None:
        super().__init__(id="pp-export")
        self.list_query = query
        self.default_path = default_path
        self.written: Path | None = None
        self._overwrite_asked = ""

    def compose(self) -> ComposeResult:
        q = self.list_query
        with Vertical(classes="pp-dialog"):
            yield Static(t("pp.export.title"), classes="pp-dialog-title", markup=False)
            what = "pp.export.what" if q.include_cancelled else "pp.export.what_active"
            yield Static(t(what, start=fmt_date(q.start), end=fmt_date(q.end)),
                         markup=False, classes="pp-message")
            yield Static(t("pp.export.path"), classes="pp-message", markup=False)
            yield Input(self.default_path, id="pp-export-path")
            yield self.hidden(Static("", classes="pp-error", markup=False, id="pp-export-error"))
            yield self.hidden(Static("", classes="pp-done", markup=False, id="pp-export-done"))
            with Horizontal(classes="pp-buttons"):
                yield Button(t("pp.close"), id="pp-export-close")
                yield Button(t("pp.export.run"), id="pp-export-run", variant="primary")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#pp-export-path", Input).focus()

    def action_close(self) -> None:
        if not self._busy:
            self.dismiss(self.written)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.run_export()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._overwrite_asked = ""

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "pp-export-close":
            self.action_close()
        else:
            self.run_export()

    def run_export(self) -> None:
        if self._busy:
            return
        path = self.query_one("#pp-export-path", Input).value.strip()
        self.say("#pp-export-error", "")
        self.say("#pp-export-done", "")
        if not path:
            self.say("#pp-export-error", t("pp.export.no_path"))
            return
        overwrite = self._overwrite_asked == path
        self._busy = True
        app = self.app
        session = app.session
        q = self.list_query

        def job(ctx):
            from portplus_tui.services import applications

            rows = applications.export_rows(ctx, session, q.start, q.end,
                                            include_cancelled=q.include_cancelled)
            try:
                return write_export(rows, applications.EXPORT_HEADER, path, overwrite)
            except FileExistsError:
                return ("exists", path)
            except OSError as exc:
                return ("oserror", exc)
            except ValueError:  # a NUL in the path (open() refuses it): not a valid name
                return ("oserror", OSError(errno.EINVAL, os.strerror(errno.EINVAL)))

        app.run_service(self, job, done=self._done, failed=self._failed,
                        busy=self.query_one("#pp-export-run", Button), name="portplus.export")

    def _done(self, result) -> None:
        self._busy = False
        if isinstance(result, tuple) and result and result[0] == "exists":
            self._overwrite_asked = result[1]
            self.say("#pp-export-error", t("pp.export.exists", path=shown_path(result[1])))
            return
        if isinstance(result, tuple) and result and result[0] == "oserror":
            exc = result[1]
            reason = exc.strerror or type(exc).__name__
            where = os.path.expanduser(self.query_one("#pp-export-path", Input).value.strip())
            self.say("#pp-export-error",
                     t("pp.export.failed", path=shown_path(where), reason=reason))
            return
        target, count = result
        self.written = target
        self.say("#pp-export-done", t("pp.export.done", path=shown_path(target), count=count))
        self.app.notify(t("pp.export.done", path=shown_path(target), count=count), markup=False,
                        timeout=8)
        self.query_one("#pp-export-close", Button).focus()

    def _failed(self, exc: PortPlusError) -> None:
        self._busy = False
        self.say("#pp-export-error", exc.message(get_lang()))
