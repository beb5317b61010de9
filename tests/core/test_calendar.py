"""Tests for portplus_tui.core.calendar (SPEC §5).

The business-day oracle below is written day by day and takes its holidays from the
``holidays`` package, a source independent of jpholiday which the implementation uses.
"""

from __future__ import annotations

import subprocess
import sys
import time as time_module
from datetime import date, datetime, time, timedelta, timezone

import holidays
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from portplus_tui.core import calendar as cal
from portplus_tui.core.calendar import (
    JST,
    WEEKDAYS_JA,
    BusinessCalendar,
    CalendarRules,
    billing_month_of,
    billing_period,
    format_en_date,
    format_jp_date,
    parse_date,
    parse_month,
    to_jst,
    today_jst,
    utcnow,
)
from portplus_tui.core.errors import ValidationError

ONE_DAY = timedelta(days=1)
ONE_US = timedelta(microseconds=1)
UTC_MINUS_10 = timezone(timedelta(hours=-10))

# Hypothesis: the first call for a year computes its holidays (tens of ms), so no
# per-example deadline; the example counts keep the whole file to a few seconds.
props = settings(deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow])

# Property tests stay within years whose holidays the oracle also loads.
PROP_FIRST, PROP_LAST = date(2000, 1, 1), date(2040, 12, 31)
dates = st.dates(min_value=PROP_FIRST, max_value=PROP_LAST)
rules_st = st.builds(
    CalendarRules,
    deadline_business_days=st.integers(min_value=0, max_value=6),
    year_end_closure=st.booleans(),
    closing_day=st.integers(min_value=1, max_value=28),
)
closed_sets = st.frozensets(dates, max_size=15)


# --------------------------------------------------------------------------- oracle

_JP_HOLIDAYS = holidays.Japan(years=range(PROP_FIRST.year - 1, PROP_LAST.year + 1))


def oracle_is_business_day(d: date, *, year_end: bool = True, closed: frozenset[date] = frozenset()) -> bool:
    if d.weekday() >= 5:  # Saturday, Sunday
        return False
    if d in _JP_HOLIDAYS:
        return False
    if year_end and ((d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)):
        return False
    return d not in closed


def oracle_deadline(apply_date: date, n: int, **kw) -> date:
    d = apply_date
    counted = 0
    while counted < n:
        d = d - ONE_DAY
        if oracle_is_business_day(d, **kw):
            counted += 1
    return d


def every_day(first: date, last: date):
    d = first
    while d <= last:
        yield d
        d += ONE_DAY


# --------------------------------------------------------------------------- examples


def test_spec_deadline_examples():
    c = BusinessCalendar()
    assert c.deadline(date(2021, 3, 17)) == date(2021, 3, 15)  # Wed -> Mon
    assert c.deadline(date(2027, 1, 5)) == date(2026, 12, 28)  # over the year-end closure


def test_spec_billing_examples():
    assert billing_period(2021, 2) == (date(2021, 2, 21), date(2021, 3, 20))
    assert billing_period(2021, 12) == (date(2021, 12, 21), date(2022, 1, 20))
    assert billing_month_of(date(2021, 3, 20)) == (2021, 2)
    assert billing_month_of(date(2021, 3, 21)) == (2021, 3)
    assert billing_month_of(date(2022, 1, 5)) == (2021, 12)
    assert billing_period(2024, 1, closing_day=28) == (date(2024, 1, 29), date(2024, 2, 28))
    assert billing_period(2024, 2, closing_day=1) == (date(2024, 2, 2), date(2024, 3, 1))
    # Closing day 28 in a common year: 2/29 does not exist, the period starts 3/1.
    assert billing_period(2023, 1, closing_day=28) == (date(2023, 1, 29), date(2023, 2, 28))
    assert billing_period(2023, 2, closing_day=28) == (date(2023, 3, 1), date(2023, 3, 28))
    assert billing_period(2024, 2, closing_day=28) == (date(2024, 2, 29), date(2024, 3, 28))
    assert billing_month_of(date(2023, 3, 1), closing_day=28) == (2023, 2)


def test_holiday_names_from_jpholiday():
    c = BusinessCalendar()
    assert c.holiday_name(date(2021, 1, 1)) == "元日"
    assert c.holiday_name(date(2021, 7, 22)) == "海の日"  # moved for the Olympics
    assert c.holiday_name(date(2021, 7, 19)) is None  # its usual date that year
    assert "振替休日" in c.holiday_name(date(2020, 2, 24))  # substitute holiday
    assert c.holiday_name(date(2026, 9, 22)) == "国民の休日"  # citizens' holiday
    assert c.holiday_name(date(2021, 3, 17)) is None
    assert c.is_holiday(date(2019, 5, 1)) and not c.is_holiday(date(2019, 5, 7))


def test_far_years_do_not_crash():
    # jpholiday.year_holidays(9999) overflows; the calendar falls back month by month.
    c = BusinessCalendar()
    assert c.holiday_name(date(9999, 11, 3)) == "文化の日"
    assert c.holiday_name(date(9999, 12, 31)) is None
    assert c.deadline(date(9999, 12, 31)) == date(9999, 12, 27)  # 12/29..31 year end; 12/28 Tue
    assert c.business_days(date(9999, 12, 30), date.max) == []


def test_deadline_before_the_first_date_is_a_value_error():
    with pytest.raises(ValueError):
        BusinessCalendar().deadline(date(1, 1, 2))


def test_day_kind_precedence():
    c = BusinessCalendar(closed_days=[date(2021, 1, 1), date(2021, 3, 20), date(2021, 3, 19)])
    assert c.day_kind(date(2021, 3, 17)) == "business"
    assert c.day_kind(date(2021, 3, 13)) == "weekend"
    assert c.day_kind(date(2020, 2, 23)) == "holiday"  # Sunday and 天皇誕生日: holiday wins
    assert c.day_kind(date(2021, 12, 29)) == "year_end"
    assert c.day_kind(date(2022, 1, 2)) == "year_end"  # Sunday in the closure
    assert c.day_kind(date(2021, 1, 1)) == "closed"  # closed beats holiday and year end
    assert c.day_kind(date(2021, 3, 20)) == "closed"  # closed beats holiday + weekend
    assert c.day_kind(date(2021, 3, 19)) == "closed"
    assert BusinessCalendar(CalendarRules(year_end_closure=False)).day_kind(date(2021, 12, 29)) == "business"
    assert {c.day_kind(d) for d in every_day(date(2021, 1, 1), date(2021, 12, 31))} <= set(cal.DAY_KINDS)


def test_rules_validation():
    for bad in (0, 29, -1, 31, True, 20.0):
        with pytest.raises(ValueError):
            CalendarRules(closing_day=bad)
        with pytest.raises(ValueError):
            billing_period(2021, 1, closing_day=bad)
        with pytest.raises(ValueError):
            billing_month_of(date(2021, 1, 1), closing_day=bad)
    for bad in (-1, -10, True, 1.5):
        with pytest.raises(ValueError):
            CalendarRules(deadline_business_days=bad)
    for bad_month in (0, 13):
        with pytest.raises(ValueError):
            billing_period(2021, bad_month)
    assert CalendarRules(deadline_business_days=0, closing_day=1).closing_day == 1
    assert CalendarRules(closing_day=28).closing_day == 28


def test_closed_days_refuse_datetimes():
    with pytest.raises(TypeError):
        BusinessCalendar(closed_days=[datetime(2021, 3, 17, 0, 0)])


def test_with_closed_days_replaces_and_keeps_rules():
    rules = CalendarRules(deadline_business_days=3, closing_day=15)
    c = BusinessCalendar(rules, [date(2021, 3, 16)])
    c2 = c.with_closed_days([date(2021, 3, 12)])
    assert c2.rules == rules
    assert c2.closed_days == frozenset({date(2021, 3, 12)})
    assert c.closed_days == frozenset({date(2021, 3, 16)})  # original untouched
    assert c.deadline(date(2021, 3, 17)) == date(2021, 3, 11)
    assert c2.deadline(date(2021, 3, 17)) == date(2021, 3, 11)
    assert BusinessCalendar(rules).deadline(date(2021, 3, 17)) == date(2021, 3, 12)


def test_jst_and_clock():
    assert JST.utcoffset(None) == timedelta(hours=9)
    assert JST.tzname(None) in ("JST", "Asia/Tokyo")
    assert JST.dst(None) in (None, timedelta(0))
    now = utcnow()
    assert now.utcoffset() == timedelta(0)
    assert abs(datetime.now(timezone.utc) - now) < timedelta(minutes=1)
    # naive means UTC
    assert to_jst(datetime(2021, 3, 16, 15, 0)) == datetime(2021, 3, 17, 0, 0, tzinfo=JST)
    assert to_jst(datetime(2021, 3, 16, 15, 0)).utcoffset() == timedelta(hours=9)
    assert today_jst(datetime(2021, 3, 16, 14, 59, 59, 999999)) == date(2021, 3, 16)
    assert today_jst(datetime(2021, 3, 16, 15, 0)) == date(2021, 3, 17)
    assert today_jst(datetime(2021, 3, 16, 5, 0, tzinfo=UTC_MINUS_10)) == date(2021, 3, 17)
    assert today_jst(datetime(2021, 3, 16, 4, 59, tzinfo=UTC_MINUS_10)) == date(2021, 3, 16)


@pytest.fixture
def host_tz(monkeypatch):
    """Set the host's time zone (POSIX TZ strings: no tzdata needed), restored after."""

    def set_tz(value: str) -> None:
        monkeypatch.setenv("TZ", value)
        time_module.tzset()

    yield set_tz
    monkeypatch.undo()
    time_module.tzset()


@pytest.mark.parametrize("tz", ["HST10", "JST-9", "UTC0", "NPT-5:45"])
def test_host_time_zone_does_not_matter(host_tz, tz):
    host_tz(tz)
    c = BusinessCalendar()
    assert to_jst(datetime(2021, 3, 16, 15, 0)) == datetime(2021, 3, 17, 0, 0, tzinfo=JST)
    assert today_jst(datetime(2021, 3, 16, 14, 59)) == date(2021, 3, 16)
    assert c.is_open(date(2021, 3, 17), datetime(2021, 3, 15, 14, 59, 59, 999999))
    assert not c.is_open(date(2021, 3, 17), datetime(2021, 3, 15, 15, 0))
    assert c.deadline_end(date(2021, 3, 17)).timestamp() == datetime(
        2021, 3, 15, 15, 0, tzinfo=timezone.utc).timestamp()
    assert utcnow().utcoffset() == timedelta(0)


def test_import_is_cheap_and_holidays_are_cached_per_year(monkeypatch):
    code = (
        "import sys, portplus_tui.core.calendar as c\n"
        "assert 'jpholiday' not in sys.modules, 'jpholiday imported eagerly'\n"
        "import datetime\n"
        "c.BusinessCalendar().is_business_day(datetime.date(2021, 3, 17))\n"
        "assert 'jpholiday' in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr

    import jpholiday

    calls: list[int] = []
    real = jpholiday.year_holidays

    def counting(year):
        calls.append(year)
        return real(year)

    monkeypatch.setattr(cal, "_holiday_cache", {})
    monkeypatch.setattr(jpholiday, "year_holidays", counting)
    c1, c2 = BusinessCalendar(), BusinessCalendar(CalendarRules(year_end_closure=False))
    for d in every_day(date(2021, 1, 1), date(2021, 12, 31)):
        c1.is_business_day(d)
        c2.holiday_name(d)
    c1.deadline(date(2022, 1, 5))  # walks back into 2021
    assert sorted(calls) == [2021, 2022]


# --------------------------------------------------------------------------- oracle, every day


def test_every_day_2020_to_2035_against_independent_oracle():
    c = BusinessCalendar()
    first, last = date(2020, 1, 1), date(2035, 12, 31)
    disagreements = []
    for d in every_day(first, last):
        if c.is_holiday(d) != (d in _JP_HOLIDAYS):
            disagreements.append((d, c.holiday_name(d), _JP_HOLIDAYS.get(d)))
    assert disagreements == [], f"jpholiday and holidays disagree: {disagreements}"

    wrong_bd, wrong_dl = [], []
    for d in every_day(first, last):
        if c.is_business_day(d) != oracle_is_business_day(d):
            wrong_bd.append(d)
        if c.deadline(d) != oracle_deadline(d, 2):
            wrong_dl.append((d, c.deadline(d), oracle_deadline(d, 2)))
    assert wrong_bd == []
    assert wrong_dl == []


# --------------------------------------------------------------------------- properties


@props
@given(rules=rules_st, closed=closed_sets, apply_date=dates)
@example(rules=CalendarRules(), closed=frozenset(), apply_date=date(2027, 1, 5))
def test_deadline_matches_oracle_and_counts_exactly_n(rules, closed, apply_date):
    c = BusinessCalendar(rules, closed)
    n = rules.deadline_business_days
    dl = c.deadline(apply_date)
    assert dl == oracle_deadline(apply_date, n, year_end=rules.year_end_closure, closed=closed)
    if n == 0:
        assert dl == apply_date
    else:
        assert dl < apply_date
        assert c.is_business_day(dl)
        # Exactly n business days in [deadline, apply_date): the deadline itself and
        # n-1 more strictly between it and the apply date.
        assert len(c.business_days(dl, apply_date - ONE_DAY)) == n
        assert c.business_days(dl, apply_date - ONE_DAY)[0] == dl


@props
@given(rules=rules_st, closed=closed_sets, d=dates)
def test_is_business_day_matches_oracle(rules, closed, d):
    c = BusinessCalendar(rules, closed)
    assert c.is_business_day(d) == oracle_is_business_day(d, year_end=rules.year_end_closure, closed=closed)
    assert c.is_business_day(d) == (c.day_kind(d) == "business")


@props
@given(rules=rules_st, closed=closed_sets, a=dates, length=st.integers(min_value=-5, max_value=120))
def test_business_days_is_the_filtered_range(rules, closed, a, length):
    c = BusinessCalendar(rules, closed)
    b = a + timedelta(days=length)
    expected = [d for d in every_day(a, b) if c.is_business_day(d)]
    got = c.business_days(a, b)
    assert got == expected
    if length < 0:
        assert got == []
    assert all(oracle_is_business_day(d, year_end=rules.year_end_closure, closed=closed) for d in got)


@props
@given(rules=rules_st, closed=closed_sets, extra=dates, apply_date=dates)
def test_closed_days_only_remove_business_days(rules, closed, extra, apply_date):
    base = BusinessCalendar(rules, closed)
    more = base.with_closed_days(closed | {extra})
    assert not more.is_business_day(extra)
    assert more.is_closed_day(extra) and more.day_kind(extra) == "closed"
    for d in (extra - ONE_DAY, extra + ONE_DAY, apply_date):
        if d != extra:
            assert more.is_business_day(d) == base.is_business_day(d)
    # One more closed day can only move a deadline earlier, and moves it only if it
    # was one of the business days counted.
    dl_base, dl_more = base.deadline(apply_date), more.deadline(apply_date)
    assert dl_more <= dl_base
    counted = set(base.business_days(dl_base, apply_date - ONE_DAY)) if rules.deadline_business_days else set()
    assert (dl_more == dl_base) == (extra not in counted)


@props
@given(n=st.integers(min_value=0, max_value=6), closed=closed_sets, apply_date=dates)
def test_year_end_closure_off(n, closed, apply_date):
    on = BusinessCalendar(CalendarRules(deadline_business_days=n, year_end_closure=True), closed)
    off = BusinessCalendar(CalendarRules(deadline_business_days=n, year_end_closure=False), closed)
    assert off.deadline(apply_date) >= on.deadline(apply_date)
    # The closure days that are otherwise ordinary weekdays are business days when off.
    for d in (date(apply_date.year, 12, day) for day in (29, 30, 31)):
        assert not on.is_business_day(d)
        assert off.is_business_day(d) == oracle_is_business_day(d, year_end=False, closed=closed)
        assert not off.is_year_end(d) and on.is_year_end(d)
    # Outside the closure the setting changes nothing.
    if not ((apply_date.month == 12 and apply_date.day >= 29) or (apply_date.month == 1 and apply_date.day <= 3)):
        assert on.is_business_day(apply_date) == off.is_business_day(apply_date)


def test_year_end_closure_off_examples():
    off = BusinessCalendar(CalendarRules(year_end_closure=False))
    assert off.is_business_day(date(2026, 12, 29))  # Tuesday
    assert off.deadline(date(2027, 1, 5)) == date(2026, 12, 31)  # 1/4 Mon, 12/31 Thu (1/1 元日)


@props
@given(closing_day=st.integers(min_value=1, max_value=28), year=st.integers(min_value=1900, max_value=9998),
       month=st.integers(min_value=1, max_value=12))
@example(closing_day=28, year=2023, month=2)
@example(closing_day=28, year=2023, month=1)
@example(closing_day=28, year=2024, month=2)
def test_billing_periods_are_contiguous(closing_day, year, month):
    start, end = billing_period(year, month, closing_day)
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    next_start, next_end = billing_period(ny, nm, closing_day)
    assert next_start == end + ONE_DAY  # no gap, no overlap
    assert start == date(year, month, closing_day) + ONE_DAY and end.day == closing_day
    if not (closing_day == 28 and month == 2 and start.day == 1):  # 2/29 does not exist
        assert (start.year, start.month, start.day) == (year, month, closing_day + 1)
    assert 28 <= (end - start).days + 1 <= 31
    assert billing_month_of(start, closing_day) == (year, month)
    assert billing_month_of(end, closing_day) == (year, month)
    assert billing_month_of(next_start, closing_day) == (ny, nm)


@props
@given(closing_day=st.integers(min_value=1, max_value=28),
       d=st.dates(min_value=date(1900, 2, 1), max_value=date(9999, 10, 31)))
def test_billing_month_of_contains_the_date_exactly_once(closing_day, d):
    y, m = billing_month_of(d, closing_day)
    start, end = billing_period(y, m, closing_day)
    assert start <= d <= end
    # The neighbouring months do not contain it.
    for dy, dm in ((y, m - 1) if m > 1 else (y - 1, 12), (y, m + 1) if m < 12 else (y + 1, 1)):
        s, e = billing_period(dy, dm, closing_day)
        assert not s <= d <= e


def test_billing_covers_every_day_of_a_span_once():
    for closing_day in (1, 15, 20, 28):
        seen: dict[date, int] = {}
        for year in (2023, 2024):
            for month in range(1, 13):
                for d in every_day(*billing_period(year, month, closing_day)):
                    seen[d] = seen.get(d, 0) + 1
        first, last = billing_period(2023, 1, closing_day)[0], billing_period(2024, 12, closing_day)[1]
        assert set(seen) == set(every_day(first, last))
        assert set(seen.values()) == {1}


# --------------------------------------------------------------------------- is_open


@props
@given(rules=rules_st, closed=closed_sets, apply_date=dates,
       zone=st.sampled_from([JST, timezone.utc, UTC_MINUS_10, timezone(timedelta(hours=5, minutes=45)), None]))
def test_is_open_boundaries(rules, closed, apply_date, zone):
    c = BusinessCalendar(rules, closed)
    dl = c.deadline(apply_date)
    end = c.deadline_end(apply_date)
    assert end.utcoffset() == timedelta(hours=9)
    assert (end.date(), end.time()) == (dl + ONE_DAY, time(0))
    last_open = datetime.combine(dl, time(23, 59, 59, 999999), tzinfo=JST)
    assert end - last_open == ONE_US

    def in_zone(instant: datetime) -> datetime:
        if zone is None:  # naive UTC
            return instant.astimezone(timezone.utc).replace(tzinfo=None)
        return instant.astimezone(zone)

    assert c.is_open(apply_date, in_zone(last_open))
    assert not c.is_open(apply_date, in_zone(end))
    assert not c.is_open(apply_date, in_zone(end + timedelta(days=3)))
    assert c.is_open(apply_date, in_zone(datetime.combine(dl, time(0), tzinfo=JST)))
    assert c.is_open(apply_date, in_zone(last_open - timedelta(days=10)))


def test_is_open_spec_example_in_other_zones():
    c = BusinessCalendar()
    apply_date = date(2021, 3, 17)  # deadline Mon 2021-03-15, closes 2021-03-16 00:00 JST
    assert c.deadline_end(apply_date) == datetime(2021, 3, 15, 15, 0, tzinfo=timezone.utc)
    assert c.is_open(apply_date, datetime(2021, 3, 15, 14, 59, 59, 999999, tzinfo=timezone.utc))
    assert not c.is_open(apply_date, datetime(2021, 3, 15, 15, 0, tzinfo=timezone.utc))
    assert c.is_open(apply_date, datetime(2021, 3, 15, 4, 59, 59, tzinfo=UTC_MINUS_10))
    assert not c.is_open(apply_date, datetime(2021, 3, 15, 5, 0, tzinfo=UTC_MINUS_10))
    assert c.is_open(apply_date, datetime(2021, 3, 15, 14, 59))  # naive = UTC
    assert not c.is_open(apply_date, datetime(2021, 3, 15, 15, 0))


# --------------------------------------------------------------------------- parsing

FULLWIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
DATE_FORMAT_EN = "Enter the date as YYYY-MM-DD."
DATE_FORMAT_JA = "日付は YYYY-MM-DD の形式で入力してください。"


@props
@given(d=st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 31)),
       fullwidth=st.booleans(),
       pad=st.tuples(st.sampled_from(["", " ", "\t", "\u3000", "  \n"]), st.sampled_from(["", " ", "\u3000", "\r\n"])))
def test_parse_date_accepts_valid_input(d, fullwidth, pad):
    text = d.isoformat()
    if fullwidth:
        text = text.translate(FULLWIDTH)
    assert parse_date(pad[0] + text + pad[1]) == d


@props
@given(y=st.integers(min_value=1900, max_value=9998), m=st.integers(min_value=1, max_value=12),
       fullwidth=st.booleans(), pad=st.sampled_from(["", " ", "\u3000"]))
def test_parse_month_accepts_valid_input(y, m, fullwidth, pad):
    text = f"{y:04d}-{m:02d}"
    if fullwidth:
        text = text.translate(FULLWIDTH)
    assert parse_month(pad + text + pad) == (y, m)


GARBAGE = [
    "", " ", "\u3000", "2021", "2021-3-17", "21-03-17", "2021/03/17", "2021.03.17", "20210317",
    "2021-03-17T00:00", "2021-03-17 x", "x2021-03-17", "2021-03-1７a", "+2021-03-17",
    "2021-03-17\x00", "\x002021-03-17", "2021-0\x003-17", "2021-03-17\x1b[31m", "2021-03-17\x1f",
    "2021-03-17\x7f", "2021-03-17\u200b", "2021-03-17🎌", "🎌", "２０２１－０３－１７日",
    "2021—03—17", "2021ー03ー17", "٢٠٢١-٠٣-١٧", "²⁰²¹-⁰³-¹⁷", "2021-0③-17", "-2021-03-17",
    "2021-03-17" * 10_000, "9" * 1_000_000, "2021-02-30", "2021-13-01", "2021-00-10",
    "2021-04-31", "2019-02-29", "0000-01-01", "1899-12-31", "10000-01-01", "2021 - 03 - 17",
    "2021-03- 17", "ﷺ" * 60,
]


@pytest.mark.parametrize("text", GARBAGE, ids=lambda t: repr(t[:20]) + (f"..{len(t)}" if len(t) > 20 else ""))
def test_parse_date_rejects_garbage(text):
    with pytest.raises(ValidationError) as info:
        parse_date(text, field="apply_date")
    assert info.value.field == "apply_date"
    assert info.value.ja and info.value.en


def test_parse_date_messages():
    with pytest.raises(ValidationError) as fmt:
        parse_date("2021/03/17")
    assert (fmt.value.ja, fmt.value.en, fmt.value.field) == (DATE_FORMAT_JA, DATE_FORMAT_EN, "date")
    for text in ("2021-02-30", "２０２１－１３－０１"):
        with pytest.raises(ValidationError) as bad:
            parse_date(text)
        assert bad.value.field == "date"
        assert bad.value.en != DATE_FORMAT_EN and bad.value.ja != DATE_FORMAT_JA
        assert "not a real date" in bad.value.en and "存在しない" in bad.value.ja
    with pytest.raises(ValidationError) as year:
        parse_date("1899-12-31")
    assert year.value.en != DATE_FORMAT_EN and "1900" in year.value.en
    assert parse_date("2020-02-29") == date(2020, 2, 29)
    assert parse_date("1900-01-01") == date(1900, 1, 1)
    assert parse_date("9999-12-31") == date(9999, 12, 31)


MONTH_GARBAGE = [
    "", "2021", "2021-1", "2021-001", "21-01", "2021/01", "2021-13", "2021-00", "1899-12",
    "2021-01-01", "9999-01", "9999-12", "2021-01\x00", "2021-01🎌", "2021-01" * 100_000, "２０２１－１３", "2021ー01",
    "²⁰²¹-⁰¹", "2021 -01",
]


@pytest.mark.parametrize("text", MONTH_GARBAGE, ids=lambda t: repr(t[:20]))
def test_parse_month_rejects_garbage(text):
    with pytest.raises(ValidationError) as info:
        parse_month(text)
    assert info.value.field == "month"
    assert info.value.ja and info.value.en


def test_parse_month_messages():
    with pytest.raises(ValidationError) as fmt:
        parse_month("2021/02")
    assert "YYYY-MM" in fmt.value.en and "YYYY-MM" in fmt.value.ja
    with pytest.raises(ValidationError) as rng:
        parse_month("2021-13")
    assert rng.value.en != fmt.value.en and "12" in rng.value.en
    assert parse_month("9998-12") == (9998, 12)
    assert billing_period(*parse_month("9998-12")) == (date(9998, 12, 21), date(9999, 1, 20))


@props
@given(text=st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789-０１２３４５６７８９－ \u3000\x00", max_size=14),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}\Z"),
))
def test_parsers_never_raise_anything_but_validation_error(text):
    try:
        d = parse_date(text, field="f")
    except ValidationError as e:
        assert e.field == "f"
    else:
        assert 1900 <= d.year and d.isoformat() == text.strip(" \t\r\n\u3000").translate(
            str.maketrans("０１２３４５６７８９－", "0123456789-"))
    try:
        y, m = parse_month(text)
    except ValidationError as e:
        assert e.field == "month"
    else:
        assert 1900 <= y <= 9998 and 1 <= m <= 12
        assert billing_period(y, m)[0] <= billing_period(y, m)[1]
        assert f"{y:04d}-{m:02d}" == text.strip(" \t\r\n\u3000").translate(
            str.maketrans("０１２３４５６７８９－", "0123456789-"))


# --------------------------------------------------------------------------- formatting


def test_format_examples():
    assert format_jp_date(date(2021, 3, 17)) == "2021年3月17日(水)"
    assert format_jp_date(date(2027, 1, 5)) == "2027年1月5日(火)"
    assert format_jp_date(date(2026, 12, 28)) == "2026年12月28日(月)"
    assert format_jp_date(date(2021, 3, 21)) == "2021年3月21日(日)"
    assert format_en_date(date(2021, 3, 17)) == "Wed 17 Mar 2021"
    assert format_en_date(date(2026, 12, 28)) == "Mon 28 Dec 2026"
    assert format_en_date(date(2027, 1, 2)) == "Sat 2 Jan 2027"
    assert WEEKDAYS_JA == ("月", "火", "水", "木", "金", "土", "日")
    week = [format_jp_date(date(2021, 3, 15) + timedelta(days=i)) for i in range(7)]
    assert [s[-2] for s in week] == list(WEEKDAYS_JA)
