"""Business days, 申込期限 (deadlines), billing periods and date parsing (SPEC §5).

Pure functions of dates and strings: no I/O, no database. Japan time is a fixed UTC+9
offset (Japan has no daylight saving time), so nothing here depends on the host's time
zone or on tzdata.

jpholiday is imported lazily and its answers are cached per year for the life of the
process: importing this module is cheap, and each year's holidays are computed once.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from portplus_tui.core.errors import ValidationError
from portplus_tui.core.messages import texts

__all__ = [
    "JST",
    "WEEKDAYS_JA",
    "BusinessCalendar",
    "CalendarRules",
    "billing_month_of",
    "billing_period",
    "format_en_date",
    "format_jp_date",
    "parse_date",
    "parse_month",
    "to_jst",
    "today_jst",
    "utcnow",
]

JST: tzinfo = timezone(timedelta(hours=9), "JST")

_ONE_DAY = timedelta(days=1)

WEEKDAYS_JA = ("月", "火", "水", "木", "金", "土", "日")
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

DAY_KINDS = ("business", "weekend", "holiday", "year_end", "closed")


# --------------------------------------------------------------------------- time zone


def to_jst(dt: datetime) -> datetime:
    """The same instant in Japan time. A naive datetime is taken to be UTC."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(JST)


def today_jst(now: datetime) -> date:
    """The Japan calendar date at instant ``now`` (naive means UTC)."""
    return to_jst(now).date()


def utcnow() -> datetime:
    """The current instant, aware, in UTC: the default clock."""
    return datetime.now(timezone.utc)


# --------------------------------------------------------------------------- holidays

_holiday_cache: dict[int, dict[date, str]] = {}
_holiday_lock = threading.Lock()


def _load_year(year: int) -> dict[date, str]:
    import jpholiday  # lazy: ~30 ms to import, ~40-100 ms per year to compute

    try:
        pairs = jpholiday.year_holidays(year)
    except OverflowError:
        # Year 9999: jpholiday looks at the following day for substitute and citizens'
        # holidays and overflows in December. Take the months it can compute.
        pairs = []
        for month in range(1, 13):
            try:
                pairs.extend(jpholiday.month_holidays(year, month))
            except OverflowError:
                continue
    return {d: name for d, name in pairs}


def _holidays_of(year: int) -> dict[date, str]:
    found = _holiday_cache.get(year)
    if found is not None:
        return found
    with _holiday_lock:
        found = _holiday_cache.get(year)
        if found is None:
            found = _load_year(year)
            _holiday_cache[year] = found
    return found


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class CalendarRules:
    """The configurable parts of the calendar (R-CAL-1, R-CAL-2, R-CAL-6)."""

    deadline_business_days: int = 2
    year_end_closure: bool = True  # 12/29..1/3 are not business days
    closing_day: int = 20  # billing month YYYY-MM = closing_day+1 of it .. closing_day of next

    def __post_init__(self) -> None:
        n = self.deadline_business_days
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"deadline_business_days must be an integer >= 0, got {n!r}")
        _check_closing_day(self.closing_day)
        if not isinstance(self.year_end_closure, bool):
            raise ValueError(f"year_end_closure must be a bool, got {self.year_end_closure!r}")


def _check_closing_day(closing_day: int) -> None:
    if isinstance(closing_day, bool) or not isinstance(closing_day, int) or not 1 <= closing_day <= 28:
        raise ValueError(f"closing_day must be an integer from 1 to 28, got {closing_day!r}")


def _as_closed_days(days: Iterable[date]) -> frozenset[date]:
    out = []
    for d in days:
        # A datetime never equals a date, so it would silently never match: refuse it.
        if isinstance(d, datetime) or not isinstance(d, date):
            raise TypeError(f"closed days must be datetime.date values, got {d!r}")
        out.append(d)
    return frozenset(out)


class BusinessCalendar:
    """Business days and 申込期限 under a set of rules and provider-defined closed days."""

    __slots__ = ("rules", "closed_days")

    def __init__(self, rules: CalendarRules | None = None, closed_days: Iterable[date] = ()):
        self.rules: CalendarRules = rules if rules is not None else CalendarRules()
        self.closed_days: frozenset[date] = _as_closed_days(closed_days)

    def __repr__(self) -> str:
        return f"BusinessCalendar(rules={self.rules!r}, closed_days={len(self.closed_days)} days)"

    def with_closed_days(self, closed_days: Iterable[date]) -> BusinessCalendar:
        """A calendar with the same rules whose closed days are exactly ``closed_days``."""
        return BusinessCalendar(self.rules, closed_days)

    # ----------------------------------------------------------------- single days

    def holiday_name(self, d: date) -> str | None:
        """The Japanese national holiday name of ``d`` (substitute and citizens' too)."""
        return _holidays_of(d.year).get(d)

    def is_holiday(self, d: date) -> bool:
        return d in _holidays_of(d.year)

    def is_year_end(self, d: date) -> bool:
        """12/29..1/3, when the year-end closure is on."""
        if not self.rules.year_end_closure:
            return False
        return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)

    def is_closed_day(self, d: date) -> bool:
        return d in self.closed_days

    def is_business_day(self, d: date) -> bool:
        return not (
            d.weekday() >= 5
            or self.is_year_end(d)
            or d in self.closed_days
            or self.is_holiday(d)
        )

    def day_kind(self, d: date) -> str:
        """For the calendar view: closed > holiday > year_end > weekend > business."""
        if d in self.closed_days:
            return "closed"
        if self.is_holiday(d):
            return "holiday"
        if self.is_year_end(d):
            return "year_end"
        if d.weekday() >= 5:
            return "weekend"
        return "business"

    # ----------------------------------------------------------------- ranges

    def business_days(self, start: date, end: date) -> list[date]:
        """Business days from ``start`` to ``end``, both included; empty if start > end."""
        out: list[date] = []
        d = start
        while d <= end:
            if self.is_business_day(d):
                out.append(d)
            if d == end:
                break
            d += _ONE_DAY
        return out

    # ----------------------------------------------------------------- deadlines

    def deadline(self, apply_date: date) -> date:
        """申込期限: the date N business days before ``apply_date`` (N=0: itself)."""
        remaining = self.rules.deadline_business_days
        d = apply_date
        try:
            while remaining:
                d -= _ONE_DAY
                if self.is_business_day(d):
                    remaining -= 1
        except OverflowError:
            raise ValueError(f"no deadline for {apply_date.isoformat()}: before the first date") from None
        return d

    def deadline_end(self, apply_date: date) -> datetime:
        """00:00 JST of the day after the deadline: the first instant that is too late."""
        return datetime.combine(self.deadline(apply_date) + _ONE_DAY, time(0), tzinfo=JST)

    def is_open(self, apply_date: date, now: datetime) -> bool:
        """Whether ``now`` (aware; naive means UTC) is before ``deadline_end(apply_date)``."""
        # Same as now < deadline_end(...), without overflowing at date.max.
        return today_jst(now) <= self.deadline(apply_date)


# --------------------------------------------------------------------------- billing


def billing_period(year: int, month: int, closing_day: int = 20) -> tuple[date, date]:
    """The first and last day (both included) of billing month ``year-month``.

    The period runs from the day after the closing day of ``year-month`` to the closing
    day of the next month.
    """
    _check_closing_day(closing_day)
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month!r}")
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    # The day after the closing day, not date(year, month, closing_day + 1): with
    # closing day 28 that would be February 29 in a common year. The period of 2023-02
    # is then 2023-03-01..2023-03-28, right after 2023-01's (2023-01-29..2023-02-28).
    start = date(year, month, closing_day) + _ONE_DAY
    return start, date(next_year, next_month, closing_day)


def billing_month_of(d: date, closing_day: int = 20) -> tuple[int, int]:
    """The billing month ``(year, month)`` whose period contains ``d``."""
    _check_closing_day(closing_day)
    if d.day > closing_day:
        return d.year, d.month
    return (d.year - 1, 12) if d.month == 1 else (d.year, d.month - 1)


# --------------------------------------------------------------------------- parsing

_MIN_YEAR = 1900
_MAX_YEAR = 9999
# A billing month's period ends in the next month, which must exist: 9999-12 has none.
_MAX_MONTH_YEAR = 9998
_MAX_INPUT = 64  # longer text is refused before any normalisation
_SURROUNDING_SPACE = " \t\r\n\u3000"
_ALLOWED_CHARS = frozenset("0123456789-０１２３４５６７８９－")
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)


def _clean(text: object) -> str | None:
    """ASCII form of a date-like input, or None if it has anything but digits and hyphens.

    Only ASCII and full-width digits and hyphens are allowed (NFKC turns the full-width
    ones into ASCII); surrounding spaces, tabs, newlines and ideographic spaces are
    dropped. Other characters that NFKC would turn into digits (superscripts, circled
    numbers) are refused rather than guessed at.
    """
    if not isinstance(text, str) or len(text) > _MAX_INPUT:
        return None
    core = text.strip(_SURROUNDING_SPACE)
    if not core or not all(c in _ALLOWED_CHARS for c in core):
        return None
    return unicodedata.normalize("NFKC", core)


def parse_date(text: str, field: str = "date") -> date:
    """A real calendar date written ``YYYY-MM-DD`` (years 1900..9999)."""
    s = _clean(text)
    m = _DATE_RE.fullmatch(s) if s is not None else None
    if m is None:
        raise ValidationError(
            *texts('calendar.parse_date'),
            field=field,
        )
    year, month, day = (int(g) for g in m.groups())
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise ValidationError(
            *texts('calendar.parse_date.2', min_year=_MIN_YEAR, max_year=_MAX_YEAR),
            field=field,
        )
    try:
        return date(year, month, day)
    except ValueError:
        raise ValidationError(
            *texts('calendar.parse_date.3', s=s),
            field=field,
        ) from None


def parse_month(text: str) -> tuple[int, int]:
    """A month written ``YYYY-MM`` (years 1900..9998, months 01..12).

    Up to 9998 so that ``billing_period(*parse_month(text))`` always exists.
    """
    s = _clean(text)
    m = _MONTH_RE.fullmatch(s) if s is not None else None
    if m is None:
        raise ValidationError(
            *texts('calendar.parse_month'),
            field="month",
        )
    year, month = int(m.group(1)), int(m.group(2))
    if not _MIN_YEAR <= year <= _MAX_MONTH_YEAR:
        raise ValidationError(
            *texts('calendar.parse_month.2', min_year=_MIN_YEAR, max_month_year=_MAX_MONTH_YEAR),
            field="month",
        )
    if not 1 <= month <= 12:
        raise ValidationError(
            *texts('calendar.parse_month.3'),
            field="month",
        )
    return year, month


# --------------------------------------------------------------------------- formatting


def format_jp_date(d: date) -> str:
    """``2021年3月17日(水)``"""
    return f"{d.year}年{d.month}月{d.day}日({WEEKDAYS_JA[d.weekday()]})"


def format_en_date(d: date) -> str:
    """``Wed 17 Mar 2021`` (fixed English names, whatever the locale)."""
    return f"{_WEEKDAYS_EN[d.weekday()]} {d.day} {_MONTHS_EN[d.month - 1]} {d.year}"
