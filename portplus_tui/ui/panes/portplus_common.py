"""Small pieces shared by the ポートプラス pane, its dialogs and the application form.

* ``DateInput``: ``MaskedInput("9999-99-99")`` that also takes full-width digits and
  hyphens (typed with a Japanese input method) and turns them into ASCII.
* ``TextCheckbox``: a Checkbox drawn as ``[X]`` / ``[ ]`` (Textual's half-block sides
  are East-Asian ambiguous-width glyphs, and its on/off state is shown by colour only).
* Formatting of dates, names and the キャンセル column in the current language.

Only Textual and ``core`` are imported here: no service, no database.
"""

from __future__ import annotations

from datetime import date, datetime

from rich.text import Text
from textual.widgets import MaskedInput

from portplus_tui.core.calendar import format_en_date, format_jp_date, to_jst
from portplus_tui.ui.i18n import get_lang, t
from portplus_tui.ui.textual_compat import MarkCheckbox

_TO_ASCII = str.maketrans(
    # full-width digits, full-width hyphen-minus, hyphen, minus, long vowel mark,
    # horizontal bar, full-width solidus (escapes: some are ambiguous-width glyphs)
    "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19"
    "\uff0d\u2010\u2212\u30fc\u2015\uff0f",
    "0123456789-----/",
)


def to_ascii_digits(text: str) -> str:
    """Full-width digits and the dashes an input method gives, as ASCII."""
    return text.translate(_TO_ASCII)


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


# ------------------------------------------------------------------ formatting
def fmt_date(d: date) -> str:
    """``2021年3月17日(水)`` / ``Wed 17 Mar 2021``."""
    return format_jp_date(d) if get_lang() == "ja" else format_en_date(d)


def fmt_short_date(d: date) -> str:
    """``3/17(水)`` / ``Wed 3/17``: for narrow places."""
    if get_lang() == "ja":
        return f"{d.month}/{d.day}({format_jp_date(d)[-2]})"
    return f"{format_en_date(d)[:3]} {d.month}/{d.day}"


def fmt_datetime(dt: datetime) -> str:
    """Japan time, to the minute: ``2021-03-17 10:05``."""
    return to_jst(dt).strftime("%Y-%m-%d %H:%M")


def applied_day(dt: datetime) -> date:
    """申込日: the Japan calendar day of the instant the application was made."""
    return to_jst(dt).date()


def fmt_applicant(name: str) -> str:
    """申込者 as the list shows it: ``〈name〉 様``."""
    return t("pp.applicant_cell", name=name).strip()


def cancel_cell(view) -> Text:
    """The キャンセル column: the action, キャンセル済, or 期限切れ (never colour alone)."""
    if view.cancelled:
        return Text(t("pp.cell_cancelled"), style="italic")
    if not view.open:
        return Text(t("pp.cell_expired"), style="dim")
    return Text(t("pp.cell_cancel"), style="underline")


def status_text(view) -> str:
    if view.cancelled:
        return t("pp.status_cancelled")
    return t("pp.status_active")


def why_not_modifiable(view) -> str:
    """Why change / cancel is not possible for this row (names the deadline)."""
    if view.cancelled:
        return t("pp.already_cancelled", number=view.number)
    return t("pp.deadline_passed_row", number=view.number, deadline=fmt_date(view.deadline))
