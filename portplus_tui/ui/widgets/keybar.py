"""The key bar at the bottom of every screen: Textual's Footer, but wrapping.

R-UI-4 wants every key of the screen in the Footer, and R-UI-2 wants no text cut at
80x24. Textual's Footer is one line that scrolls sideways (with a mouse wheel only), so
at 80 columns the list's twenty keys were cut off. ``KeyBar`` lays the same bindings
(``screen.active_bindings``, ``show=True``, one entry per action, the palette key last)
out in as many lines as the width needs (at most ``MAX_LINES``; beyond that the bar says
how many keys are left and Ctrl+P / "?" lists them all). A click on a key presses it,
as with Textual's Footer.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.widget import Widget


class _Key(NamedTuple):
    key: str  # the key to simulate on click
    display: str  # what is shown for the key ("PgDn", "^P")
    description: str
    enabled: bool


class _Placed(NamedTuple):
    line: int
    start: int
    end: int
    item: _Key


class KeyBar(Widget):
    """A Footer that wraps onto several lines instead of cutting keys off."""

    MAX_LINES = 4

    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--disabled"}

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.keys: list[_Key] = []
        self._placed: list[_Placed] = []
        self._placed_width = -1
        self._collect_queued = False

    # ------------------------------------------------------------------ bindings
    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._collect()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Any) -> None:
        # Signals come in bursts (a screen being mounted and focused sends three before
        # its first paint): collect once, after the burst.
        if self.is_attached and screen is self.screen and not self._collect_queued:
            self._collect_queued = True
            self.call_later(self._collect_later)

    def _collect_later(self) -> None:
        self._collect_queued = False
        if self.is_attached:
            self._collect()

    def _collect(self) -> None:
        app = self.app
        active = self.screen.active_bindings
        keys: list[_Key] = []
        seen: set[str] = set()
        palette = app.COMMAND_PALETTE_BINDING
        for key, (_node, binding, enabled, _tooltip) in active.items():
            if not binding.show or binding.action in seen or key == palette:
                continue
            seen.add(binding.action)
            keys.append(_Key(binding.key, app.get_key_display(binding),
                             str(binding.description), bool(enabled)))
        if palette and app.ENABLE_COMMAND_PALETTE and palette in active:
            _node, binding, enabled, _tooltip = active[palette]
            keys.append(_Key(binding.key, app.get_key_display(binding),
                             str(binding.description), bool(enabled)))
        if keys != self.keys:
            self.keys = keys
            self._placed_width = -1
            self.refresh(layout=True)

    # ------------------------------------------------------------------ layout
    def _place(self, width: int) -> list[_Placed]:
        if width == self._placed_width:
            return self._placed
        placed: list[_Placed] = []
        line, x = 0, 0
        for item in self.keys:
            size = Text(f" {item.display} {item.description} ").cell_len
            if x and x + size > width:
                line, x = line + 1, 0
            placed.append(_Placed(line, x, x + size, item))
            x += size
        self._placed, self._placed_width = placed, width
        return placed

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        placed = self._place(width)
        lines = (placed[-1].line + 1) if placed else 1
        return min(lines, self.MAX_LINES)

    def render(self) -> Text:
        width = self.content_region.width or self.size.width
        placed = self._place(width)
        key_style = self.get_component_rich_style("keybar--key")
        text_style = self.get_component_rich_style("keybar--description")
        off_style = self.get_component_rich_style("keybar--disabled")
        lines = [Text() for _ in range(min((placed[-1].line + 1) if placed else 1,
                                           self.MAX_LINES))]
        for spot in placed:
            if spot.line >= self.MAX_LINES:
                break
            item = spot.item
            out = lines[spot.line]
            if item.enabled:
                out.append(f" {item.display} ", key_style)
                out.append(f"{item.description} ", text_style)
            else:
                out.append(f" {item.display} {item.description} ", off_style)
        return Text("\n").join(lines)

    def hidden_count(self) -> int:
        """Keys that did not fit in MAX_LINES (0 at 80 columns on every screen)."""
        width = self.content_region.width or self.size.width
        return sum(1 for spot in self._place(width) if spot.line >= self.MAX_LINES)

    # ------------------------------------------------------------------ mouse
    def on_click(self, event: events.Click) -> None:
        width = self.content_region.width or self.size.width
        for spot in self._place(width):
            if spot.line == event.y and spot.start <= event.x < spot.end:
                event.stop()
                if spot.item.enabled:
                    self.app.simulate_key(spot.item.key)
                return
