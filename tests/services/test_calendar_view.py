"""The calendar month service (calendar_view.month_view), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from portplus_tui.core.calendar import JST
from portplus_tui.core.errors import AuthError, ValidationError
from portplus_tui.services import accounts, calendar_view, closed_days
from portplus_tui.services import applications as apps

# The clock (conftest START) is Monday 2026-03-02 10:00 JST.


def test_every_day_of_the_month_with_kinds_and_holiday_names(ctx, tenant):
    view = calendar_view.month_view(ctx, tenant.user_session, 2026, 3)
    assert (view.year, view.month, view.today) == (2026, 3, date(2026, 3, 2))
    assert view.contracted_ports == 30
    assert [d.day for d in view.days] == [date(2026, 3, n) for n in range(1, 32)]
    by_day = {d.day: d for d in view.days}
    assert by_day[date(2026, 3, 1)].kind == "weekend"  # Sunday
    assert by_day[date(2026, 3, 2)].kind == "business"
    assert by_day[date(2026, 3, 20)].kind == "holiday"  # 春分の日
    assert by_day[date(2026, 3, 20)].holiday_name == "春分の日"
    assert by_day[date(2026, 3, 2)].holiday_name is None
    assert view.get(date(2026, 3, 17)) is by_day[date(2026, 3, 17)]
    assert view.get(date(2026, 4, 1)) is None


def test_deadlines_and_open_days_follow_the_clock(ctx, tenant, clock):
    view = calendar_view.month_view(ctx, tenant.user_session, 2026, 3)
    by_day = {d.day: d for d in view.days}
    # Fri 03-06 -> Wed 03-04; Wed 03-04 -> Mon 03-02 (today); Tue 03-03 -> Fri 02-27.
    assert by_day[date(2026, 3, 6)].deadline == date(2026, 3, 4)
    assert by_day[date(2026, 3, 4)].deadline == date(2026, 3, 2)
    assert by_day[date(2026, 3, 3)].deadline == date(2026, 2, 27)  # over the weekend
    assert by_day[date(2026, 3, 4)].open  # its deadline is today
    assert not by_day[date(2026, 3, 3)].open  # deadline Fri 02-27, passed
    assert by_day[date(2026, 3, 6)].open
    # The last moment of 03-04 JST: 03-06 still open; a second later it is not.
    clock.set(datetime(2026, 3, 4, 23, 59, 59, tzinfo=JST), tenant.user_session)
    assert calendar_view.month_view(ctx, tenant.user_session, 2026, 3).get(date(2026, 3, 6)).open
    clock.set(datetime(2026, 3, 5, 0, 0, 0, tzinfo=JST), tenant.user_session)
    late = calendar_view.month_view(ctx, tenant.user_session, 2026, 3)
    assert not late.get(date(2026, 3, 6)).open
    assert late.today == date(2026, 3, 5)


def test_year_end_and_closed_days(ctx, tenant):
    closed_days.add(ctx, "2026-12-25")
    view = calendar_view.month_view(ctx, tenant.user_session, 2026, 12)
    kinds = {d.day.day: d.kind for d in view.days}
    assert kinds[25] == "closed"
    assert kinds[28] == "business"  # Monday
    assert [kinds[n] for n in (29, 30, 31)] == ["year_end"] * 3
    jan = calendar_view.month_view(ctx, tenant.user_session, 2027, 1)
    assert jan.days[0].kind == "holiday" and jan.days[0].holiday_name == "元日"
    assert [d.kind for d in jan.days[1:3]] == ["year_end", "year_end"]  # Sat 01-02, Sun 01-03
    assert jan.get(date(2027, 1, 5)).deadline == date(2026, 12, 28)


def test_a_closed_holiday_keeps_its_name(ctx, tenant):
    closed_days.add(ctx, "2026-03-20")
    day = calendar_view.day_view(ctx, tenant.user_session, date(2026, 3, 20))
    assert day.kind == "closed" and day.holiday_name == "春分の日"


def test_counts_and_ports_per_day(ctx, tenant):
    s = tenant.admin_session
    a = apps.create(ctx, s, apply_date="2026-03-06", ports=3)
    apps.create(ctx, s, apply_date="2026-03-06", ports="４")
    c = apps.create(ctx, tenant.user_session, apply_date="2026-03-09", ports=5)
    apps.cancel(ctx, s, c.id, version=c.version)
    apps.change(ctx, s, a.id, version=a.version, apply_date="2026-03-10", ports=2)
    view = calendar_view.month_view(ctx, tenant.user_session, 2026, 3)
    d6, d9, d10 = (view.get(date(2026, 3, n)) for n in (6, 9, 10))
    assert (d6.active, d6.cancelled, d6.ports) == (1, 0, 4)
    assert (d9.active, d9.cancelled, d9.ports) == (0, 1, 0) and d9.has_applications
    assert (d10.active, d10.cancelled, d10.ports) == (1, 0, 2)
    assert not view.get(date(2026, 3, 11)).has_applications
    assert view.total_ports == 6 and view.total_active == 2


def test_other_company_counts_are_not_seen(ctx, tenant, other_tenant):
    apps.create(ctx, other_tenant.admin_session, apply_date="2026-03-06", ports=9)
    view = calendar_view.month_view(ctx, tenant.admin_session, 2026, 3)
    assert view.total_ports == 0 and not any(d.has_applications for d in view.days)
    assert calendar_view.month_view(ctx, other_tenant.admin_session, 2026, 3).total_ports == 9


@pytest.mark.parametrize("year, month", [(1899, 5), (10000, 1), (2026, 0), (2026, 13), (True, 1)])
def test_bad_months_refused(ctx, tenant, year, month):
    with pytest.raises(ValidationError) as info:
        calendar_view.month_view(ctx, tenant.user_session, year, month)
    assert info.value.field == "month"


def test_edges_of_the_range(ctx, tenant):
    first = calendar_view.month_view(ctx, tenant.user_session, 1900, 1)
    assert len(first.days) == 31 and not any(d.open for d in first.days)
    last = calendar_view.month_view(ctx, tenant.user_session, 9999, 12)
    assert len(last.days) == 31 and last.days[-1].open


def test_a_deleted_account_is_refused(ctx, tenant):
    accounts.delete_account(ctx, tenant.admin_session, tenant.user.id,
                            version=tenant.user.version)
    with pytest.raises(AuthError):
        calendar_view.month_view(ctx, tenant.user_session, 2026, 3)


def test_page_containing_matches_the_listed_pages(ctx, tenant):
    s = tenant.admin_session
    made = []
    for n in range(23):
        made.append(apps.create(ctx, s, apply_date=date(2026, 3, 6 + n % 9), ports=1 + n % 4))
    apps.cancel(ctx, s, made[4].id, version=made[4].version)
    made[4] = apps.get(ctx, s, made[4].id)
    for hide in (False, True):
        q = apps.period_query("2026-03-01", "2026-03-31", page_size=10,
                              include_cancelled=not hide)
        where = {}
        for number in range(1, apps.list_page(ctx, s, q).page_count + 1):
            for row in apps.list_page(ctx, s, q, number).rows:
                where[row.id] = number
        for view in made:
            expected = where.get(view.id)
            assert calendar_view.page_containing(ctx, s, q, view) == expected
    outside = apps.period_query("2026-04-01", "2026-04-30")
    assert calendar_view.page_containing(ctx, s, outside, made[0]) is None
