"""Port Plus applications (SPEC §5–§7): new, change, cancel, get, history, list, export.

Every call takes the acting Session and is scoped to its company (R-TEN-2): an id of
another company's application is "not found", never read or changed. Every write runs
in one transaction with its revision row, the per-day counts and the audit entry.
Change and cancel use optimistic locking: the caller passes the version it saw, and
the UPDATE only matches that version (R-APP-6).

Paging (R-LST-1, R-LST-5): the ``day_count`` table gives totals and the day on which
any page starts, so a jump to page k reads at most one day's rows past the page; next
and previous pages use keyset conditions on (適用日, id). No query's cost grows with
the number of applications before the page.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Iterator

import peewee

from portplus_tui.core import validation as v
from portplus_tui.core.calendar import (
    BusinessCalendar,
    billing_period,
    format_jp_date,
    parse_date,
    parse_month,
)
from portplus_tui.core.errors import (
    ConflictError,
    DeadlinePassed,
    NotFoundError,
    ValidationError,
)
from portplus_tui.core.messages import texts
from portplus_tui.services import audit, live
from portplus_tui.services.context import AppContext, Session, authorize
from portplus_tui.store import models as m
from portplus_tui.store.db import from_db, to_db

log = logging.getLogger("portplus.applications")

PAGE_SIZES = (10, 20, 50, 100)
NUMBER_RE = re.compile(r"^SO-(\d{1,12})-(\d{1,6})$")

PageKey = tuple[date, int]


# ------------------------------------------------------------------ values
@dataclass(frozen=True)
class ApplicationView:
    id: int
    revision: int
    version: int
    apply_date: date
    ports: int
    applicant: str
    applied_at: datetime
    updated_at: datetime
    status: str
    deadline: date
    open: bool  # before the end of its deadline day (Japan time)
    mail_failed: bool = False

    @property
    def number(self) -> str:
        return format_number(self.id, self.revision)

    @property
    def cancelled(self) -> bool:
        return self.status == m.STATUS_CANCELLED

    @property
    def can_modify(self) -> bool:
        """Change and cancel are possible (R-CAL-4): active and before the deadline."""
        return self.open and not self.cancelled

    @property
    def key(self) -> PageKey:
        return (self.apply_date, self.id)


@dataclass(frozen=True)
class RevisionView:
    version: int
    revision: int
    number: str
    action: str  # new | change | cancel
    apply_date: date
    ports: int
    applicant: str
    status: str
    actor: str
    at: datetime


@dataclass(frozen=True)
class ListQuery:
    start: date
    end: date
    page_size: int = 10
    include_cancelled: bool = True

    def with_page_size(self, size: int) -> "ListQuery":
        return replace(self, page_size=check_page_size(size))


@dataclass(frozen=True)
class Page:
    query: ListQuery
    rows: list[ApplicationView]
    total: int  # 全 N 件
    page: int  # 1-based
    page_count: int  # at least 1

    @property
    def first_index(self) -> int:  # A of 「A ~ B 件を表示」
        return (self.page - 1) * self.query.page_size + 1 if self.rows else 0

    @property
    def last_index(self) -> int:  # B
        return self.first_index + len(self.rows) - 1 if self.rows else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count


@dataclass(frozen=True)
class DayTotal:
    day: date
    active: int
    cancelled: int
    ports: int  # added ports of the active applications on that day


# ------------------------------------------------------------------ helpers
def format_number(serial: int, revision: int) -> str:
    """申込番号 (R-APP-2): SO-<serial, 5 digits at least>-<revision>."""
    return f"SO-{serial:05d}-{revision}"


def parse_number(text: str) -> tuple[int, int]:
    norm = v.normalize_name(text, field="number", max_len=30).upper()
    match = NUMBER_RE.match(norm)
    if not match:
        raise ValidationError(
            *texts('applications.parse_number'),
            field="number",
        )
    return int(match.group(1)), int(match.group(2))


def check_page_size(size: int | str) -> int:
    try:
        value = int(str(size).strip())
    except ValueError:
        value = -1
    if value not in PAGE_SIZES:
        raise ValidationError(
            *texts('applications.check_page_size'),
            field="page_size",
        )
    return value


def _as_date(value: date | str, field: str) -> date:
    if isinstance(value, datetime):
        raise ValidationError(*texts('applications.as_date'), field=field)
    if isinstance(value, date):
        return value
    return parse_date(str(value), field=field)


def month_query(ctx: AppContext, month: str, *, page_size: int | str = 10,
                include_cancelled: bool = True) -> ListQuery:
    """月検索 (R-CAL-6): the billing period of month ``YYYY-MM``."""
    year, mon = parse_month(month)
    start, end = billing_period(year, mon, ctx.settings.closing_day)
    return ListQuery(start, end, check_page_size(page_size), include_cancelled)


def current_month_query(ctx: AppContext, *, page_size: int | str | None = None,
                        include_cancelled: bool = True) -> ListQuery:
    """The billing period that contains today (Japan time): where the list opens."""
    from portplus_tui.core.calendar import billing_month_of

    year, mon = billing_month_of(ctx.today(), ctx.settings.closing_day)
    start, end = billing_period(year, mon, ctx.settings.closing_day)
    size = ctx.settings.default_page_size if page_size is None else page_size
    return ListQuery(start, end, check_page_size(size), include_cancelled)


def period_query(start: date | str, end: date | str, *, page_size: int | str = 10,
                 include_cancelled: bool = True) -> ListQuery:
    """期間検索: from – to, inclusive."""
    first = _as_date(start, "start")
    last = _as_date(end, "end")
    if first > last:
        raise ValidationError(
            *texts('applications.period_query'),
            field="end",
        )
    return ListQuery(first, last, check_page_size(page_size), include_cancelled)


def _deadline_error(cal: BusinessCalendar, apply_date: date, field: str) -> DeadlinePassed:
    deadline = cal.deadline(apply_date)
    return DeadlinePassed(
        *texts('applications.deadline_error',
            apply_date_ja=format_jp_date(apply_date),
            deadline_ja=format_jp_date(deadline),
            isoformat=apply_date.isoformat(),
            deadline=deadline.isoformat()),
        field=field,
    )


def _check_new_date(ctx: AppContext, cal: BusinessCalendar, apply_date: date, now: datetime) -> None:
    """A new 適用日 must be open (R-CAL-2) and at most ``max_days_ahead`` days ahead (R-APP-3)."""
    if not cal.is_open(apply_date, now):
        raise _deadline_error(cal, apply_date, "apply_date")
    limit = ctx.today() + timedelta(days=ctx.settings.max_days_ahead)
    if apply_date > limit:
        raise ValidationError(
            *texts('applications.check_new_date',
                limit=format_jp_date(limit),
                max_days_ahead=ctx.settings.max_days_ahead,
                isoformat=limit.isoformat()),
            field="apply_date",
        )


def _clean_applicant(applicant: str | None, account: m.Account | None) -> str:
    text = v.normalize_name(applicant or "", field="applicant", max_len=50, required=False)
    if not text and account is not None:
        text = account.name
    if not text:
        raise ValidationError(*texts('applications.clean_applicant'), field="applicant")
    return text


def _view(row: m.Application, cal: BusinessCalendar, now: datetime,
          days: dict[date, tuple[date, bool]] | None = None) -> ApplicationView:
    """``days``: the deadline and open state per 適用日, shared by the rows of one page
    (a page of 100 lies on one or two days; each deadline walks back business days)."""
    known = days.get(row.apply_date) if days is not None else None
    if known is None:
        known = (cal.deadline(row.apply_date), cal.is_open(row.apply_date, now))
        if days is not None:
            days[row.apply_date] = known
    return ApplicationView(
        id=row.id,
        revision=row.revision,
        version=row.version,
        apply_date=row.apply_date,
        ports=row.ports,
        applicant=row.applicant,
        applied_at=from_db(row.applied_at),
        updated_at=from_db(row.updated_at),
        status=row.status,
        deadline=known[0],
        open=known[1],
    )


def _snapshot(row_or_view) -> dict:
    return {
        "apply_date": row_or_view.apply_date,
        "ports": row_or_view.ports,
        "applicant": row_or_view.applicant,
        "status": row_or_view.status,
        "revision": row_or_view.revision,
    }


def _get_row(session: Session, app_id: int) -> m.Application:
    row = (
        m.Application.select()
        .where((m.Application.id == app_id) & (m.Application.company == session.company_id))
        .first()
    )
    if row is None:
        raise NotFoundError(*texts('applications.get_row'), field="number")
    return row


def _bump_days(company_id: int, deltas: dict[date, tuple[int, int, int]]) -> None:
    """Add (active, cancelled, ports) to each day's counts, in date order (a fixed lock
    order, so two changes moving between the same days cannot deadlock)."""
    for day in sorted(deltas):
        d_active, d_cancelled, d_ports = deltas[day]
        if d_active == d_cancelled == d_ports == 0:
            continue
        (
            m.DayCount.insert(company=company_id, day=day, active=d_active,
                              cancelled=d_cancelled, active_ports=d_ports)
            .on_conflict(
                conflict_target=[m.DayCount.company, m.DayCount.day],
                update={
                    m.DayCount.active: m.DayCount.active + d_active,
                    m.DayCount.cancelled: m.DayCount.cancelled + d_cancelled,
                    m.DayCount.active_ports: m.DayCount.active_ports + d_ports,
                },
            )
            .execute()
        )


def _add_delta(deltas: dict, day: date, active: int, cancelled: int, ports: int) -> None:
    a, c, p = deltas.get(day, (0, 0, 0))
    deltas[day] = (a + active, c + cancelled, p + ports)


def _write_revision(row_id: int, version: int, revision: int, action: str, apply_date: date,
                    ports: int, applicant: str, status: str, session: Session, at) -> None:
    m.ApplicationRevision.create(
        application=row_id, version=version, revision=revision, action=action,
        apply_date=apply_date, ports=ports, applicant=applicant, status=status,
        account=session.account_id, actor=session.actor[:254], at=at,
    )


def _conflict() -> ConflictError:
    return ConflictError(
        *texts('applications.conflict'),
    )


def _lost_race(session: Session, app_id: int) -> ConflictError:
    """The conflict for a row someone else wrote first: that it was cancelled, when it
    was (said at once, not only after a reload: issue 13, point 11), else that it was
    changed."""
    current = m.Application.get_or_none(
        (m.Application.id == app_id) & (m.Application.company == session.company_id))
    if current is not None and current.status == m.STATUS_CANCELLED:
        return ConflictError(
            *texts('applications.cancelled_elsewhere'),
            code="cancelled_elsewhere",
        )
    return _conflict()


def _update_if_current(session: Session, app_id: int, version: int, **values) -> None:
    """The optimistic-lock UPDATE (R-APP-6): only the version the caller saw, only an
    active application of the caller's company; bumps the version. Anything else is a
    conflict, and the caller's transaction rolls back."""
    A = m.Application
    updated = (
        A.update(version=A.version + 1, **values)
        .where((A.id == app_id) & (A.company == session.company_id) & (A.version == version)
               & (A.status == m.STATUS_ACTIVE))
        .execute()
    )
    if updated != 1:
        raise _lost_race(session, app_id)


def _reread_and_audit(ctx: AppContext, session: Session, before_row: m.Application,
                      cal: BusinessCalendar, now: datetime, action: str) -> ApplicationView:
    view = _view(_get_row(session, before_row.id), cal, now)
    audit.record(ctx, f"application.{action}", session=session, target=view.number,
                 before=_snapshot(before_row), after=_snapshot(view))
    live.record(ctx, session.company_id, live.APPLICATION, view.id)
    return view


def _notify(ctx: AppContext, session: Session, action: str, view: ApplicationView) -> ApplicationView:
    """R-APP-8: a confirmation mail to the acting account (switchable). A mail failure
    does not undo the application; it is logged and reported on the result."""
    if not ctx.settings.mail_on_application or session.is_provider or not session.login_id:
        return view
    from portplus_tui.services import mail

    try:
        ctx.get_mailer().send(mail.application_mail(
            session.login_id, action, view.number, format_jp_date(view.apply_date),
            view.ports, view.applicant,
        ))
    except mail.MailError:
        log.warning("confirmation mail for %s (%s) could not be sent", view.number, action)
        return replace(view, mail_failed=True)
    return view


# ------------------------------------------------------------------ writes
def create(ctx: AppContext, session: Session, *, apply_date: date | str, ports: int | str,
           applicant: str | None = None) -> ApplicationView:
    """新規申込 (R-APP-3)."""
    account = authorize(ctx, session)
    day = _as_date(apply_date, "apply_date")
    count = v.parse_ports(ports if isinstance(ports, int) else str(ports),
                          ctx.settings.min_ports, ctx.settings.max_ports)
    name = _clean_applicant(applicant, account)
    cal = ctx.calendar()
    now = ctx.now()
    _check_new_date(ctx, cal, day, now)
    at = to_db(now)
    with ctx.db.atomic():
        row = m.Application.create(
            company=session.company_id, apply_date=day, ports=count, applicant=name,
            applied_at=at, updated_at=at, status=m.STATUS_ACTIVE, revision=0, version=1,
            account=session.account_id,
        )
        _write_revision(row.id, 1, 0, "new", day, count, name, m.STATUS_ACTIVE, session, at)
        _bump_days(session.company_id, {day: (1, 0, count)})
        view = _view(row, cal, now)
        audit.record(ctx, "application.new", session=session, target=view.number,
                     after=_snapshot(view))
        live.record(ctx, session.company_id, live.APPLICATION, view.id)
    return _notify(ctx, session, "new", view)


def change(ctx: AppContext, session: Session, app_id: int, *, version: int,
           apply_date: date | str, ports: int | str, applicant: str | None = None) -> ApplicationView:
    """変更申込 (R-APP-4): both the current and the new 適用日 must be open (R-CAL-3)."""
    account = authorize(ctx, session)
    new_day = _as_date(apply_date, "apply_date")
    count = v.parse_ports(ports if isinstance(ports, int) else str(ports),
                          ctx.settings.min_ports, ctx.settings.max_ports)
    name = _clean_applicant(applicant, account)
    row, cal, now = _modifiable(ctx, session, app_id, version, ValidationError(
        *texts('applications.change'),
        field="number"))
    _check_new_date(ctx, cal, new_day, now)
    if (new_day, count, name) == (row.apply_date, row.ports, row.applicant):
        raise ValidationError(*texts('applications.change.2'), field="apply_date")
    at = to_db(now)
    with ctx.db.atomic():
        _update_if_current(session, row.id, version, apply_date=new_day, ports=count,
                           applicant=name, updated_at=at, revision=m.Application.revision + 1)
        _write_revision(row.id, version + 1, row.revision + 1, "change", new_day, count, name,
                        m.STATUS_ACTIVE, session, at)
        deltas: dict = {}
        _add_delta(deltas, row.apply_date, -1, 0, -row.ports)
        _add_delta(deltas, new_day, 1, 0, count)
        _bump_days(session.company_id, deltas)
        view = _reread_and_audit(ctx, session, row, cal, now, "change")
    return _notify(ctx, session, "change", view)


def _modifiable(ctx: AppContext, session: Session, app_id: int, version: int,
                if_cancelled: ValidationError) -> tuple[m.Application, Any, datetime]:
    """The row to change or cancel, the calendar and now; refused when someone else
    changed it first, when it is cancelled (``if_cancelled``) or past its deadline."""
    row = _get_row(session, app_id)
    if row.version != version:
        raise _lost_race(session, app_id)
    if row.status == m.STATUS_CANCELLED:
        raise if_cancelled
    cal = ctx.calendar()
    now = ctx.now()
    if not cal.is_open(row.apply_date, now):
        raise _deadline_error(cal, row.apply_date, "number")
    return row, cal, now


def cancel(ctx: AppContext, session: Session, app_id: int, *, version: int) -> ApplicationView:
    """キャンセル (R-APP-5): the row stays, with status キャンセル済."""
    authorize(ctx, session)
    row, cal, now = _modifiable(ctx, session, app_id, version, ValidationError(
        *texts('applications.cancel'),
        field="number"))
    at = to_db(now)
    with ctx.db.atomic():
        _update_if_current(session, row.id, version, status=m.STATUS_CANCELLED, updated_at=at)
        _write_revision(row.id, version + 1, row.revision, "cancel", row.apply_date, row.ports,
                        row.applicant, m.STATUS_CANCELLED, session, at)
        _bump_days(session.company_id, {row.apply_date: (-1, 1, -row.ports)})
        view = _reread_and_audit(ctx, session, row, cal, now, "cancel")
    return _notify(ctx, session, "cancel", view)


# ------------------------------------------------------------------ reads
def get(ctx: AppContext, session: Session, app_id: int) -> ApplicationView:
    authorize(ctx, session)
    return _view(_get_row(session, app_id), ctx.calendar(), ctx.now())


def get_by_number(ctx: AppContext, session: Session, number: str) -> ApplicationView:
    """By 申込番号; any revision's number finds the application (it shows the current one)."""
    serial, _revision = parse_number(number)
    return get(ctx, session, serial)


def history(ctx: AppContext, session: Session, app_id: int) -> list[RevisionView]:
    authorize(ctx, session)
    row = _get_row(session, app_id)
    revs = (
        m.ApplicationRevision.select()
        .where(m.ApplicationRevision.application == row.id)
        .order_by(m.ApplicationRevision.version)
    )
    return [
        RevisionView(
            version=r.version, revision=r.revision, number=format_number(row.id, r.revision),
            action=r.action, apply_date=r.apply_date, ports=r.ports, applicant=r.applicant,
            status=r.status, actor=r.actor, at=from_db(r.at),
        )
        for r in revs
    ]


def deadline_for(ctx: AppContext, session: Session, apply_date: date | str) -> tuple[date, bool]:
    """The 申込期限 of a date and whether it is still open now (for the forms' live hint)."""
    authorize(ctx, session)
    day = _as_date(apply_date, "apply_date")
    cal = ctx.calendar()
    return cal.deadline(day), cal.is_open(day, ctx.now())


def _base(session: Session, q: ListQuery) -> "peewee.ModelSelect[m.Application]":
    A = m.Application
    cond = (A.company == session.company_id) & (A.apply_date >= q.start) & (A.apply_date <= q.end)
    if not q.include_cancelled:
        cond &= A.status == m.STATUS_ACTIVE
    return A.select().where(cond)


def _day_count_column(q: ListQuery):
    D = m.DayCount
    return (D.active + D.cancelled) if q.include_cancelled else D.active


def _day_counts(session: Session, q: ListQuery) -> list[tuple[Any, int]]:
    """(day, rows) of the search's days that have rows, in date order. The day is the
    database's raw value (ISO text on SQLite): turn it into a date with ``_as_day``.
    Raw, because converting each of a two-year search's 730 rows took 3 ms of the 4 ms
    of a page (bench/tui_paging.py); a page needs one of them."""
    D = m.DayCount
    query = (
        D.select(D.day, _day_count_column(q).alias("n"))
        .where((D.company == session.company_id) & (D.day >= q.start) & (D.day <= q.end))
        .order_by(D.day)
    )
    cursor = m.DayCount._meta.database.execute(query)
    return [(day, n) for day, n in cursor.fetchall() if n > 0]


def _as_day(raw) -> date:
    return m.DayCount.day.python_value(raw)


def _page_count(total: int, size: int) -> int:
    return max(1, math.ceil(total / size))


def _totals(session: Session, query: ListQuery) -> tuple[int, int]:
    """全 N 件 and the page count, summed by the database from the per-day counts."""
    D = m.DayCount
    total = (
        D.select(peewee.fn.COALESCE(peewee.fn.SUM(_day_count_column(query)), 0))
        .where((D.company == session.company_id) & (D.day >= query.start)
               & (D.day <= query.end))
        .scalar()
    )
    total = int(total or 0)
    return total, _page_count(total, query.page_size)


def _to_views(ctx: AppContext, rows) -> list[ApplicationView]:
    cal = ctx.calendar()
    now = ctx.now()
    days: dict[date, tuple[date, bool]] = {}
    return [_view(row, cal, now, days) for row in rows]


def list_page(ctx: AppContext, session: Session, query: ListQuery, page: int = 1) -> Page:
    """Page ``page`` (1-based; past the end gives the last page, -1 means the last page)."""
    authorize(ctx, session)
    counts = _day_counts(session, query)
    total = sum(n for _, n in counts)
    pages = _page_count(total, query.page_size)
    number = pages if page == -1 else min(max(1, page), pages)
    offset = (number - 1) * query.page_size
    rows: list[m.Application] = []
    if total:
        # Find the day on which the page's first row lies.
        before = 0
        start_day = query.start
        for day, n in counts:
            if before + n > offset:
                start_day = _as_day(day)
                break
            before += n
        A = m.Application
        rows = list(
            # Replace the search's lower bound rather than adding a second one: with
            # two bounds on one column SQLite seeks by the first and filters by the
            # second, walking from the start of the search (found by bench/list_paging.py).
            _base(session, replace(query, start=start_day))
            .order_by(A.apply_date, A.id)
            .limit(query.page_size)
            .offset(offset - before)
        )
    return Page(query, _to_views(ctx, rows), total, number, pages)


def next_page(ctx: AppContext, session: Session, current: Page) -> Page:
    """The page after ``current``, by keyset on its last row."""
    if not current.rows or not current.has_next:
        return list_page(ctx, session, current.query, current.page + 1)
    authorize(ctx, session)
    A = m.Application
    last_day, last_id = current.rows[-1].key
    rows = list(
        _base(session, replace(current.query, start=last_day))
        .where((A.apply_date > last_day) | (A.id > last_id))
        .order_by(A.apply_date, A.id)
        .limit(current.query.page_size)
    )
    total, pages = _totals(session, current.query)
    if not rows:
        return list_page(ctx, session, current.query, pages)
    return Page(current.query, _to_views(ctx, rows), total, min(current.page + 1, pages), pages)


def prev_page(ctx: AppContext, session: Session, current: Page) -> Page:
    """The page before ``current``, by keyset on its first row."""
    if not current.rows or not current.has_prev or current.page == 2:
        return list_page(ctx, session, current.query, max(1, current.page - 1))
    authorize(ctx, session)
    A = m.Application
    first_day, first_id = current.rows[0].key
    rows = list(
        _base(session, replace(current.query, end=first_day))
        .where((A.apply_date < first_day) | (A.id < first_id))
        .order_by(A.apply_date.desc(), A.id.desc())
        .limit(current.query.page_size)
    )
    rows.reverse()
    total, pages = _totals(session, current.query)
    if len(rows) < current.query.page_size:
        return list_page(ctx, session, current.query, current.page - 1)
    return Page(current.query, _to_views(ctx, rows), total, min(current.page - 1, pages), pages)


def last_page(ctx: AppContext, session: Session, query: ListQuery) -> Page:
    """The last page, read backwards from the end (flat cost)."""
    authorize(ctx, session)
    total, pages = _totals(session, query)
    size = total - (pages - 1) * query.page_size
    A = m.Application
    rows: list[m.Application] = []
    if total:
        rows = list(_base(session, query).order_by(A.apply_date.desc(), A.id.desc()).limit(size))
        rows.reverse()
    return Page(query, _to_views(ctx, rows), total, pages, pages)


def day_totals(ctx: AppContext, session: Session, start: date, end: date) -> list[DayTotal]:
    """Per 適用日: active and cancelled counts and added ports (for the calendar view)."""
    authorize(ctx, session)
    D = m.DayCount
    rows = (
        D.select(D.day, D.active, D.cancelled, D.active_ports)
        .where((D.company == session.company_id) & (D.day >= start) & (D.day <= end))
        .order_by(D.day)
        .tuples()
    )
    return [DayTotal(day, a, c, p) for day, a, c, p in rows.iterator() if a or c]


EXPORT_HEADER = ("申込番号", "適用日", "追加ポート数", "申込者", "申込日", "状態", "申込期限")

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text_cell(text: str) -> str:
    """A free-text cell made safe for spreadsheets (CSV formula injection, OWASP): text
    that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'``, so Excel, LibreOffice or Google Sheets show it as text instead of
    running it as a formula (``=HYPERLINK(...)``, ``@SUM(...)``). Other text is
    unchanged. Only for text cells: numbers and dates are written as they are."""
    if text and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def export_rows(ctx: AppContext, session: Session, start: date | str | None = None,
                end: date | str | None = None, *,
                include_cancelled: bool = True) -> Iterator[tuple]:
    """Rows for CSV export, oldest 適用日 first, streamed (header: ``EXPORT_HEADER``).

    ``include_cancelled=False`` leaves out cancelled applications, as the list does when
    「キャンセル済を表示」 is off (the TUI exports the list's search: its period and that
    toggle; the CLI exports everything). The one free-text cell, 申込者, goes through
    ``csv_text_cell`` (formula injection); the other cells are numbers, dates and fixed
    words."""
    authorize(ctx, session)
    A = m.Application
    # Plain tuples of the columns needed, not model instances: building a model per row
    # was two thirds of the time (40,854 rows of the 1M demo: 4.4 s, now 1.5 s).
    query = A.select(A.id, A.revision, A.apply_date, A.ports, A.applicant, A.applied_at,
                     A.status).where(A.company == session.company_id)
    if start is not None:
        query = query.where(A.apply_date >= _as_date(start, "start"))
    if end is not None:
        query = query.where(A.apply_date <= _as_date(end, "end"))
    if not include_cancelled:
        query = query.where(A.status == m.STATUS_ACTIVE)
    cal = ctx.calendar()
    jst = _jst()
    deadlines: dict[date, str] = {}  # one per 適用日 (each walks back business days)
    rows = query.order_by(A.apply_date, A.id).tuples().iterator()
    for number, revision, apply_date, ports, applicant, applied_at, status in rows:
        deadline = deadlines.get(apply_date)
        if deadline is None:
            deadline = deadlines[apply_date] = cal.deadline(apply_date).isoformat()
        yield (
            format_number(number, revision),
            apply_date.isoformat(),
            ports,
            csv_text_cell(applicant),
            from_db(applied_at).astimezone(jst).strftime("%Y-%m-%d %H:%M"),
            "キャンセル済" if status == m.STATUS_CANCELLED else "受付",
            deadline,
        )


def export_cells(view: ApplicationView) -> tuple:
    """One application as a row of the export (``EXPORT_HEADER``), from a view already
    read (the list's row): what the TUI copies as tab-separated text."""
    return (
        view.number,
        view.apply_date.isoformat(),
        view.ports,
        csv_text_cell(view.applicant),
        view.applied_at.astimezone(_jst()).strftime("%Y-%m-%d %H:%M"),
        "キャンセル済" if view.cancelled else "受付",
        view.deadline.isoformat(),
    )


def _jst():
    from portplus_tui.core.calendar import JST

    return JST
