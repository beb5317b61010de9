"""``FormButton``: the login screens' light button (Textual's Button costs ~7 ms of CSS
before the first paint)."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static


class FormButton(Static, can_focus=True):
    """The login screen's buttons: Enter, Space or a click presses one (it posts
    ``FormButton.Pressed``). Textual's Button brings 7 kB of CSS, every variant of
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
                 primary: bool = False) -> None:
        super().__init__(label, id=id, classes=f"{classes} -primary" if primary else classes,
                         markup=False)

    def press(self) -> "FormButton":
        """Post ``Pressed`` (as a click, Enter or Space does); not while disabled,
        hidden or loading."""
        if not (self.disabled or not self.display or self.loading):
            self.post_message(self.Pressed(self))
        return self

    def action_press(self) -> None:
        self.press()

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.press()
