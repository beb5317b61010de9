"""What every pane of the main screen offers the screen around it."""

from __future__ import annotations

from textual.containers import Vertical
from textual.widget import Widget

from portplus_tui.ui.base import Guarded
from portplus_tui.ui.i18n import localize_bindings

#: how long a row that another session changed stays marked (seconds; issue 15)
MARK_SECONDS = 5.0


class Pane(Guarded, Vertical):
    """Base of the panes. The main screen calls:

    * ``refresh_data()`` each time the pane is shown (load from the services),
    * ``is_dirty()`` before leaving it (unsaved input asks first, R-UI-4),
    * ``run_command(action)`` for a command-palette entry aimed at this pane,
    * ``focus_target()`` for the widget that gets the keyboard when the pane is opened
      (its main widget: the list, the account table), ``focus_first()`` to focus it,
    * ``live_changed(changes)`` when another session committed (services/live.py):
      by default the pane reads again when a change is of one of its ``LIVE_KINDS``.
    """

    #: the change kinds (services.live) this pane shows; "reset": read everything again
    LIVE_KINDS: frozenset[str] = frozenset()

    DEFAULT_CLASSES = "pane"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        localize_bindings(self)

    def refresh_data(self) -> None:
        """Load what the pane shows. Default: nothing to load."""

    def is_dirty(self) -> bool:
        return False

    def live_changed(self, changes: list) -> None:
        if any(change.kind in self.LIVE_KINDS or change.kind == "reset" for change in changes):
            self.refresh_data()

    def run_command(self, action: str) -> None:
        """Do ``action`` (e.g. "new"); panes that have none ignore it."""

    def focus_target(self) -> Widget | None:
        """The pane's main widget. Default: its first focusable widget."""
        for widget in self.query("*"):
            if widget.focusable:
                return widget
        return None

    def focus_first(self) -> bool:
        target = self.focus_target()
        if target is None:
            return False
        target.focus()
        return True
