"""カレンダー: the month grid of the ポートプラス pane.

Monday to Sunday, one cell per day: the day number, ``*`` for today, a mark for the kind
of day (祝 national holiday, 休 provider's closed day, 末 year-end closure; weekends
are the 土 / 日 columns), 締 when the day's 申込期限 has passed, and the added ports of
the day over the contracted ports (``12/30``). Marks are text, so the grid reads the
same with 256 colours, with NO_COLOR and in light and dark themes; colour only helps.

Keys: arrows move by day / week (into the next month too), PageUp / PageDown or
``[`` / ``]`` by month, Home to today, Enter opens the day (its applications, or a new
application when it has none), ``n`` a new application for the day.

The widget asks its pane for data with ``MonthRequested``; the pane answers with
``show_month(view)``. It draws the cursor's month at once, and the counts when they come.
"""

from __future__ import annotations

import calendar as _cal
from datetime import date, timedelta
from typing import Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from portplus_tui.ui.i18n import localize_bindings, t

_KIND_MARK = {"holiday": "pp.cal.mark_holiday", "closed": "pp.cal.mark_closed",
              "year_end": "pp.cal.mark_year_end"}
_WEEKDAY_KEYS = tuple(f"pp.cal.wd{n}" for n in range(7))  # Monday first
_MIN = date(1900, 1, 1)
_MAX = date(9999, 12, 31)


def _clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells (wide characters count two)."""
    out = ""
    for ch in text:
        if cell_len(out + ch) > width:
            break
        out += ch
    return out


def _pad(text: str, width: int, right: bool = False) -> str:
    text = _clip(text, width)
    gap = " " * (width - cell_len(text))
    return gap + text if right else text + gap


class MonthCalendar(Widget, can_focus=True):
    COMPONENT_CLASSES = {
        "calendar--title", "calendar--header", "calendar--weekend", "calendar--holiday",
        "calendar--closed", "calendar--past", "calendar--busy", "calendar--cursor",
    }
    BINDINGS = [
        Binding("left", "move(-1)", "pp.key.day_prev", show=False),
        Binding("right", "move(1)", "pp.key.day_next", show=False),
        Binding("up", "move(-7)", "pp.key.week_prev", show=False),
        Binding("down", "move(7)", "pp.key.week_next", show=False),
        Binding("pageup", "month(-1)", "pp.key.month_prev", key_display="PgUp",
                id="portplus.cal.month_prev"),
        Binding("pagedown", "month(1)", "pp.key.month_next", key_display="PgDn",
                id="portplus.cal.month_next"),
        Binding("left_square_bracket", "month(-1)", "pp.key.month_prev", show=False),
        Binding("right_square_bracket", "month(1)", "pp.key.month_next", show=False),
        Binding("home", "today", "pp.key.today", key_display="Home", id="portplus.cal.today"),
        Binding("enter", "open_day", "pp.key.open_day", key_display="Enter",
                id="portplus.cal.open"),
        Binding("n", "new_for_day", "pp.key.new_for_day", key_display="N",
                id="portplus.cal.new"),
    ]

    cursor: reactive[date] = reactive(date(2000, 1, 1), init=False)

    class MonthRequested(Message):
        def __init__(self, year: int, month: int) -> None:
            super().__init__()
            self.year = year
            self.month = month

    class DayChosen(Message):
        """Enter on a day; ``new`` for a new application that day."""

        def __init__(self, day: date, new: bool) -> None:
            super().__init__()
            self.day = day
            self.new = new

    class CursorMoved(Message):
        def __init__(self, day: date) -> None:
            super().__init__()
            self.day = day

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        localize_bindings(self)
        self.view: Any = None  # services.calendar_view.MonthView of the month shown
        self.set_reactive(MonthCalendar.cursor, date.today())

    # ----------------------------------------------------------------- data
    def show_month(self, view) -> None:
        """The pane's answer to MonthRequested (ignored if the cursor moved on)."""
        if (view.year, view.month) != (self.cursor.year, self.cursor.month) and self.view:
            return
        self.view = view
        self.refresh()
        self.post_message(self.CursorMoved(self.cursor))

    def go_to(self, day: date) -> None:
        """Put the cursor on ``day`` (asks for its month when it is not loaded)."""
        self.cursor = day

    def day_info(self, day: date | None = None):
        day = day or self.cursor
        if self.view is None:
            return None
        return self.view.get(day)

    def watch_cursor(self, old: date, new: date) -> None:
        self.refresh()
        if self.view is None or (self.view.year, self.view.month) != (new.year, new.month):
            self.post_message(self.MonthRequested(new.year, new.month))
        else:
            self.post_message(self.CursorMoved(new))

    # ----------------------------------------------------------------- keys
    def action_move(self, days: int) -> None:
        try:
            target = self.cursor + timedelta(days=days)
        except OverflowError:
            return
        self.cursor = min(max(target, _MIN), _MAX)

    def action_month(self, delta: int) -> None:
        c = self.cursor
        index = c.year * 12 + (c.month - 1) + delta
        year, month = divmod(index, 12)
        month += 1
        if not 1900 <= year <= 9999:
            return
        last = _cal.monthrange(year, month)[1]
        self.cursor = date(year, month, min(c.day, last))

    def action_today(self) -> None:
        today = self.view.today if self.view is not None else date.today()
        self.cursor = today

    def action_open_day(self) -> None:
        info = self.day_info()
        self.post_message(self.DayChosen(self.cursor, new=not (info and info.has_applications)))

    def action_new_for_day(self) -> None:
        self.post_message(self.DayChosen(self.cursor, new=True))

    def on_click(self, event) -> None:
        day = self._day_at(event.x, event.y)
        if day is not None:
            if day == self.cursor and event.chain >= 2:
                self.action_open_day()
            self.cursor = day

    # ----------------------------------------------------------------- layout
    def _geometry(self) -> tuple[int, int]:
        """(cell width, lines per cell)."""
        width = max(7 * 6, self.size.width)
        cell_w = width // 7
        weeks = 6
        lines = 3 if self.size.height >= 2 + weeks * 3 else 2
        return cell_w, lines

    def _weeks(self) -> list[list[date | None]]:
        c = self.cursor
        month = _cal.Calendar(firstweekday=0).monthdatescalendar(c.year, c.month) \
            if (c.year, c.month) not in ((9999, 12), (1900, 1)) else None
        if month is None:  # monthdatescalendar overflows at the ends of the date range
            first = date(c.year, c.month, 1)
            days = [first + timedelta(days=k) for k in range(_cal.monthrange(c.year, c.month)[1])]
            lead = first.weekday()
            cells: list[date | None] = [None] * lead + days
            cells += [None] * (-len(cells) % 7)
            return [cells[i:i + 7] for i in range(0, len(cells), 7)]
        return [[d if d.month == c.month else None for d in week] for week in month]

    def _day_at(self, x: int, y: int) -> date | None:
        cell_w, lines = self._geometry()
        row = (y - 2) // lines if y >= 2 else -1
        col = x // cell_w
        weeks = self._weeks()
        if 0 <= row < len(weeks) and 0 <= col < 7:
            return weeks[row][col]
        return None

    def render(self) -> Text:
        cell_w, lines = self._geometry()
        c = self.cursor
        style = self.get_component_rich_style
        out = Text(no_wrap=True, overflow="crop")
        title = t("pp.cal.title", year=c.year, month=c.month)
        view = self.view if self.view is not None and (self.view.year, self.view.month) == (
            c.year, c.month) else None
        if view is not None:
            title += "  " + t("pp.cal.month_total", count=view.total_active,
                              ports=view.total_ports, contracted=view.contracted_ports)
        else:
            title += "  " + t("pp.cal.loading")
        out.append(title, style("calendar--title"))
        out.append("\n")
        for n, key in enumerate(_WEEKDAY_KEYS):
            cell_style = style("calendar--header")
            if n >= 5:
                cell_style += style("calendar--weekend")
            out.append(_pad(" " + t(key), cell_w), cell_style)
        for week in self._weeks():
            for line in range(lines):
                out.append("\n")
                for d in week:
                    text, piece_style = self._cell_line(d, line, cell_w, view)
                    out.append(text, piece_style)
        return out

    def _cell_line(self, d: date | None, line: int, cell_w: int, view) -> tuple[str, Style | str]:
        style = self.get_component_rich_style
        if d is None:
            return " " * cell_w, ""
        info = view.get(d) if view is not None else None
        inner = cell_w - 1  # one blank column between cells
        if line == 0:
            marks = ""
            if info is not None:
                key = _KIND_MARK.get(info.kind)
                if key:
                    marks += t(key)
                if not info.open:
                    marks += t("pp.cal.mark_past")
            today = view.today if view is not None else None
            text = f"{d.day:>2}{'*' if d == today else ' '}{marks}"
        elif line == 1:
            text = ""
            if info is not None and info.active:
                text = f"{info.ports}/{view.contracted_ports}"
                text = _pad(text, inner, right=True)
        else:
            text = ""
            if info is not None:
                if info.holiday_name:
                    text = info.holiday_name
                elif info.kind == "closed":
                    text = t("pp.cal.kind_closed")
                elif info.kind == "year_end":
                    text = t("pp.cal.kind_year_end")
        cell_style = None
        if d.weekday() >= 5:
            cell_style = style("calendar--weekend")
        if info is not None:
            if info.kind in ("holiday", "year_end"):
                cell_style = style("calendar--holiday")
            elif info.kind == "closed":
                cell_style = style("calendar--closed")
            if not info.open:
                cell_style = (cell_style or style("calendar--past")) + style("calendar--past")
            if line == 1 and info.active:
                cell_style = (cell_style or style("calendar--busy")) + style("calendar--busy")
        if d == self.cursor:
            cell_style = (cell_style or style("calendar--cursor")) + style("calendar--cursor")
            return _pad(text, inner) + " ", cell_style
        return _pad(text, inner) + " ", cell_style or ""


