"""The calendar month of the ポートプラス pane: one value per day (SPEC §5, R-CAL-1/2).

``month_view(ctx, session, year, month)`` gives, for every day of a calendar month, what
the month grid shows: the kind of day (business day, weekend, national holiday with its
name, year-end closure, provider's closed day), its 申込期限 and whether that is still
open now (Japan time), the company's active and cancelled applications on that day and
their added ports, and the company's contracted ports. Two queries (the per-day counts
of the company, its contract), whatever the number of applications.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date

import peewee

from portplus_tui.core.errors import ValidationError
from portplus_tui.core.messages import texts
from portplus_tui.services import applications, companies
from portplus_tui.services.context import AppContext, Session, authorize
from portplus_tui.store import models as m

DAY_KINDS = ("business", "weekend", "holiday", "year_end", "closed")


@dataclass(frozen=True)
class DayView:
    day: date
    kind: str  # one of DAY_KINDS (closed > holiday > year_end > weekend > business)
    holiday_name: str | None  # the national holiday's name, also when the kind is "closed"
    deadline: date  # 申込期限 of this day as 適用日
    open: bool  # new / change / cancel for this 適用日 are still possible now
    active: int  # active applications with this 適用日
    cancelled: int  # cancelled ones
    ports: int  # added ports of the active ones

    @property
    def is_business_day(self) -> bool:
        return self.kind == "business"

    @property
    def has_applications(self) -> bool:
        return bool(self.active or self.cancelled)


@dataclass(frozen=True)
class MonthView:
    year: int
    month: int
    today: date  # Japan time
    contracted_ports: int  # 契約ポート数
    days: tuple[DayView, ...]  # the 1st to the last day of the month

    @property
    def first(self) -> date:
        return self.days[0].day

    @property
    def last(self) -> date:
        return self.days[-1].day

    def get(self, day: date) -> DayView | None:
        if self.year == day.year and self.month == day.month:
            return self.days[day.day - 1]
        return None

    @property
    def total_ports(self) -> int:
        return sum(d.ports for d in self.days)

    @property
    def total_active(self) -> int:
        return sum(d.active for d in self.days)


def _check_month(year: int, month: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 9999:
        raise ValidationError(*texts('calendar_view.check_month'), field="month")
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise ValidationError(*texts('calendar_view.check_month.2'), field="month")


def month_view(ctx: AppContext, session: Session, year: int, month: int) -> MonthView:
    """Every day of ``year-month`` for the acting account's company (R-TEN-2)."""
    _check_month(year, month)
    info = companies.company_info(ctx, session)  # authorizes
    last_day = _cal.monthrange(year, month)[1]
    first, last = date(year, month, 1), date(year, month, last_day)
    totals = {t.day: t for t in applications.day_totals(ctx, session, first, last)}
    cal = ctx.calendar()
    today = ctx.today()
    days = []
    for n in range(1, last_day + 1):
        d = date(year, month, n)
        total = totals.get(d)
        try:
            deadline = cal.deadline(d)
            still_open = today <= deadline  # cal.is_open, without a second deadline walk
        except ValueError:  # no business day before it (the first days of 1900)
            deadline, still_open = d, False
        days.append(DayView(
            day=d,
            kind=cal.day_kind(d),
            holiday_name=cal.holiday_name(d),
            deadline=deadline,
            open=still_open,
            active=total.active if total else 0,
            cancelled=total.cancelled if total else 0,
            ports=total.ports if total else 0,
        ))
    return MonthView(year, month, today, info.ports, tuple(days))


def day_view(ctx: AppContext, session: Session, day: date) -> DayView:
    """One day, as in ``month_view`` (for a form's live hint)."""
    view = month_view(ctx, session, day.year, day.month)
    found = view.get(day)
    assert found is not None
    return found


def page_containing(ctx: AppContext, session: Session, query: applications.ListQuery,
                    view: applications.ApplicationView) -> int | None:
    """The page of ``query`` on which application ``view`` is listed, or None when the
    search does not list it (outside the period, or cancelled and hidden). Used by the
    list to show an application just made or changed. Cost: the per-day counts before
    its day and the rows of that one day, whatever the number of applications."""
    authorize(ctx, session)
    if not query.start <= view.apply_date <= query.end:
        return None
    if view.cancelled and not query.include_cancelled:
        return None
    D = m.DayCount
    column = (D.active + D.cancelled) if query.include_cancelled else D.active
    before = (
        D.select(peewee.fn.COALESCE(peewee.fn.SUM(column), 0))
        .where((D.company == session.company_id) & (D.day >= query.start)
               & (D.day < view.apply_date))
        .scalar()
    )
    A = m.Application
    cond = ((A.company == session.company_id) & (A.apply_date == view.apply_date)
            & (A.id < view.id))
    if not query.include_cancelled:
        cond &= A.status == m.STATUS_ACTIVE
    same_day = A.select().where(cond).count()
    return (int(before or 0) + same_day) // query.page_size + 1
