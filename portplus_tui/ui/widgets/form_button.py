"""``FormButton``: the login screens' light button (Textual's Button costs ~7 ms of CSS
before the first paint)."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static


class FormButton(Static, can_focus=True):
    """The login screen's buttons: Enter, Space or a click presses one (it runs
    its ``action``, or posts ``FormButton.Pressed``). Textual's Button brings 7 kB of CSS, every variant of
    every style, that Textual parses before the screen's first paint (~7 ms of the
    start-up, bench/startup.py); this one needs a few lines. It looks the same: the
    label between two bars, ``-primary`` in the theme's primary colour, and the
    ``link`` class (app.tcss) as underlined text."""

    BINDINGS = [Binding("enter,space", "press", show=False)]

    class Pressed(Message):
        """The button was pressed."""

        def __init__(self, button: "FormButton") -> None:
            super().__init__()
            self.button = button

        @property
        def control(self) -> "FormButton":
            return self.button

    def __init__(self, label: str, *, id: str | None = None, classes: str = "",
                 primary: bool = False, action: str | None = None) -> None:
        super().__init__(label, id=id, classes=f"{classes} -primary" if primary else classes,
                         markup=False)
        self.action = action

    def press(self) -> "FormButton":
        """Run the button's action (``"screen.login"``, as Textual's ``Button(action=)``
        does), or post ``Pressed`` when it has none; a click, Enter or Space presses it.
        Not while disabled, hidden or loading."""
        if self.disabled or not self.display or self.loading:
            return self
        if self.action is None:
            self.post_message(self.Pressed(self))
        else:
            self.call_later(self.app.run_action, self.action, self.screen)
        return self

    def action_press(self) -> None:
        self.press()

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.press()
