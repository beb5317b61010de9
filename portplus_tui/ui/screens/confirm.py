"""ConfirmModal: a yes/no question (leave a form with unsaved input, log out, ...).

Esc answers "no" (R-UI-4: Esc closes a dialog). Focus starts on the safe answer.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button

from portplus_tui.ui.base import Guarded
from portplus_tui.ui.i18n import localize_bindings, t
from portplus_tui.ui.widgets.keybar import KeyBar
from portplus_tui.ui.widgets.prose import Prose


class ConfirmModal(Guarded, ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "answer(False)", "key.close", id="dialog.close"),
        Binding("left", "app.focus_previous", show=False),
        Binding("right", "app.focus_next", show=False),
    ]

    def __init__(self, message: str, *, yes: str | None = None, no: str | None = None,
                 title: str | None = None) -> None:
        super().__init__(classes="dialog")
        localize_bindings(self)
        self._dialog_title = title or t("confirm.title")
        self._message = message
        self._yes = yes or t("confirm.yes")
        self._no = no or t("confirm.no")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Prose(self._dialog_title, id="dialog-title", markup=False)
            yield Prose(self._message, id="dialog-message", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button(self._no, id="no", action="screen.answer(False)")
                yield Button(self._yes, id="yes", action="screen.answer(True)", variant="warning")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
