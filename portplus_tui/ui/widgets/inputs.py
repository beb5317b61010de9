"""Input widgets of the login screens and forms: the password field (``*``) and a Select,
drawn without East-Asian ambiguous-width glyphs (R-UI-3). The date field and the
checkbox are in ``dates.py`` (not imported before the first paint)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Select, Static

from portplus_tui.ui.textual_compat import StarPasswordInput


class SafeSelect(Select):
    """Textual's Select with its arrows drawn as ``v`` / ``^`` in the "ascii" glyph
    mode (its own are East-Asian ambiguous-width triangles, R-UI-3)."""

    def on_mount(self) -> None:
        from portplus_tui.ui.glyphs import ARROWS, mode

        down, up = ARROWS[mode()]
        for widget in self.query(".down-arrow").results(Static):
            widget.update(down)
        for widget in self.query(".up-arrow").results(Static):
            widget.update(up)


class PasswordInput(StarPasswordInput):
    """A password field masked with ``*`` (Textual's U+2022 bullet is an East-Asian
    ambiguous-width glyph: some terminals draw it two cells wide, R-UI-3)."""

    def __init__(self, value: str | None = None, **kwargs: Any) -> None:
        kwargs["password"] = True
        super().__init__(value, **kwargs)


