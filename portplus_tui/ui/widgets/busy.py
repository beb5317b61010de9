"""Busy state: ``hold_busy`` (a widget shown busy while a worker runs, keeping the focus
and so the type-ahead) and ``BusyIndicator`` (the loading indicator in ASCII)."""

from __future__ import annotations

from typing import Any, Callable

from rich.style import Style
from rich.text import Text
from textual.widgets import Button, LoadingIndicator

from portplus_tui.ui.i18n import t


def hold_busy(widget: Any) -> Callable[[], None]:
    """Show ``widget`` as busy; returns the call that ends it.

    Textual's ``loading`` makes a widget unfocusable, so a focused table would lose
    the focus while its data loads and the keys typed meanwhile would go nowhere. A
    widget that holds the focus is dimmed instead (class ``-busy``) and keeps it;
    others (a button pressed once, a pane) get the loading indicator, which also stops
    a second press. If the focus was inside and got lost, it comes back at the end."""
    try:
        focused = widget.screen.focused
    except Exception:  # noqa: BLE001 - not on a screen (yet): nothing to show
        return lambda: None
    holds_focus = focused is not None and (focused is widget or widget in focused.ancestors)
    if holds_focus and not isinstance(widget, Button):
        widget.add_class("-busy")
    else:
        widget.loading = True

    def release() -> None:
        if not widget.is_attached:
            return
        widget.remove_class("-busy")
        if widget.loading:
            widget.loading = False
        if holds_focus and focused is not None and focused.is_attached:
            if widget.screen.focused is None and widget.screen is widget.app.screen:
                focused.focus()

    return release


class BusyIndicator(LoadingIndicator):
    """Textual's loading indicator drawn with an ASCII ``*`` instead of U+25CF (an
    East-Asian ambiguous-width glyph, R-UI-3), and a localized text without animation."""

    _shown_at = 0.0

    def on_mount(self) -> None:
        from time import time

        self._shown_at = time()

    def render(self) -> Any:
        if self.app.animation_level == "none":
            return Text(t("busy"))
        from time import time

        from textual.color import Gradient

        elapsed = time() - self._shown_at
        _, _, background, color = self.colors
        gradient = Gradient((0.0, background.blend(color, 0.1)), (0.7, color),
                            (1.0, color.lighten(0.1)))
        blends = [(elapsed * 0.8 - number / 8) % 1 for number in range(5)]
        dots = [("* ", Style.from_color(gradient.get_color((1 - blend) ** 2).rich_color))
                for blend in blends]
        indicator = Text.assemble(*dots)
        indicator.rstrip()
        return indicator
