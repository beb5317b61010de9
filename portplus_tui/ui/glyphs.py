"""R-UI-3: no East-Asian ambiguous-width glyphs on screen.

Textual draws borders, input edges, button bevels, scrollbar ends and the tab underline
with box-drawing and block characters (U+2500..U+259F). Unicode gives all of them the
East-Asian width "ambiguous": a terminal in a CJK locale, PuTTY with "treat CJK
ambiguous characters as wide", or iTerm2 / GNOME Terminal with ambiguous-wide set, draws
each one two cells wide and shifts the rest of the line, which breaks every box on the
screen. The operators of this portal are exactly those users.

``use_glyphs("ascii")`` (the default, setting ``glyphs``) swaps every border style whose
characters are ambiguous for the ASCII one (``+ - |``), draws scrollbars with blanks only
(the thumb is its colour), and the tab underline with ``-``; ``ui.base.SafeSelect``
draws its arrows as ``v`` / ``^``. ``use_glyphs("unicode")``
puts Textual's own glyphs back. Only Textual's class-level tables change; a test scans
every screen for ambiguous glyphs (tests/ui/test_glyphs.py).
"""

from __future__ import annotations

import unicodedata
from typing import Any

_ORIGINAL: dict[str, Any] = {}
_MODE = ["ascii"]

# The focused field's edge (border style "double"; CSS in app.tcss), in ASCII: it must
# differ from the others' ``+ - |`` by its characters, not only its colour, so that the
# focus shows in 16 colours and with NO_COLOR too (issue 13, point 4).
FOCUS_EDGE = (("#", "=", "#"), ("#", " ", "#"), ("#", "=", "#"))

# Glyphs Textual writes as text (not through the border tables), by mode.
ARROWS = {"ascii": ("v", "^"), "unicode": ("\u25bc", "\u25b2")}


def mode() -> str:
    return _MODE[0]


def is_ambiguous(char: str) -> bool:
    return unicodedata.east_asian_width(char) == "A"


def use_glyphs(style: str) -> None:
    from textual.renderables.bar import Bar
    from textual.scrollbar import ScrollBarRender

    from portplus_tui.ui.textual_compat import border_tables, refresh_borders

    border_chars, border_locations = border_tables()
    if not _ORIGINAL:
        _ORIGINAL["chars"] = dict(border_chars)
        _ORIGINAL["locations"] = dict(border_locations)
        _ORIGINAL["bars"] = (list(ScrollBarRender.VERTICAL_BARS),
                             list(ScrollBarRender.HORIZONTAL_BARS))
        _ORIGINAL["bar"] = (Bar.BAR, Bar.HALF_BAR_LEFT, Bar.HALF_BAR_RIGHT)
    chars, locations = _ORIGINAL["chars"], _ORIGINAL["locations"]
    _MODE[0] = style
    if style == "ascii":
        for name, rows in chars.items():
            if any(is_ambiguous(c) for row in rows for c in row):
                border_chars[name] = chars["ascii"]
                border_locations[name] = locations["ascii"]
        border_chars["double"] = FOCUS_EDGE
        border_locations["double"] = locations["ascii"]
        ScrollBarRender.VERTICAL_BARS = [" "] * len(_ORIGINAL["bars"][0])
        ScrollBarRender.HORIZONTAL_BARS = [" "] * len(_ORIGINAL["bars"][1])
        Bar.BAR = Bar.HALF_BAR_LEFT = Bar.HALF_BAR_RIGHT = "-"
    else:
        border_chars.update(chars)
        border_locations.update(locations)
        ScrollBarRender.VERTICAL_BARS, ScrollBarRender.HORIZONTAL_BARS = (
            list(bars) for bars in _ORIGINAL["bars"])
        Bar.BAR, Bar.HALF_BAR_LEFT, Bar.HALF_BAR_RIGHT = _ORIGINAL["bar"]
    refresh_borders()
