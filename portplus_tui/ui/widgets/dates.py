"""The Port Plus search and form fields, drawn without East-Asian ambiguous-width
glyphs (R-UI-3).

* ``DateInput``: ``MaskedInput("9999-99-99")`` that also takes full-width digits and
  hyphens (typed with a Japanese input method) and turns them into ASCII.
* ``TextCheckbox``: a Checkbox drawn as ``[X]`` / ``[ ]`` (Textual's half-block sides
  are East-Asian ambiguous-width glyphs, and its on/off state is shown by colour only).
"""

from __future__ import annotations

from textual.widgets import MaskedInput

from portplus_tui.ui.textual_compat import MarkCheckbox


class DateInput(MaskedInput):
    """適用日 and search dates: ``YYYY-MM-DD`` with a mask; the real-date check is done
    by ``core.calendar.parse_date`` where the value is used."""

    def __init__(self, value: str | None = None, *, template: str = "9999-99-99",
                 **kwargs) -> None:
        super().__init__(template, value=value, **kwargs)

    def insert_text_at_cursor(self, text: str) -> None:
        super().insert_text_at_cursor(to_ascii_digits(text))

    def replace(self, text: str, start: int, end: int) -> None:
        """A key typed over selected text (a field selects its text when Tab focuses it).
        Textual 8.2's MaskedInput puts the text in unchecked here: a letter or a
        full-width digit raised ValueError and ended the app. Converted, and what the
        mask refuses is refused like any wrong key."""
        try:
            super().replace(to_ascii_digits(text), start, end)
        except ValueError:
            self.restricted()

    def on_paste(self, event) -> None:  # a pasted 2021/03/17 or ２０２１－０３－１７
        # prevent_default(): Input's own paste handler does not run after this one
        text = to_ascii_digits(event.text.strip()).replace("/", "-")
        event.stop()
        event.prevent_default()
        self.value = ""
        self.cursor_position = 0
        self.insert_text_at_cursor(text)


class TextCheckbox(MarkCheckbox):
    """``[X] label`` when on, ``[ ] label`` when off: readable without colour."""


def to_ascii_digits(text: str) -> str:
    """Full-width digits and the dashes an input method gives, as ASCII."""
    return text.translate(_TO_ASCII)


_TO_ASCII = str.maketrans(
    # full-width digits, full-width hyphen-minus, hyphen, minus, long vowel mark,
    # horizontal bar, full-width solidus (escapes: some are ambiguous-width glyphs)
    "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19"
    "\uff0d\u2010\u2212\u30fc\u2015\uff0f",
    "0123456789-----/",
)
