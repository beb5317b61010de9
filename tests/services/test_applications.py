"""Application service: new, change, cancel, deadlines, revisions, tenancy, history,
mail and audit — on SQLite and PostgreSQL (the ``ctx`` fixture is parametrized)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from portplus_tui.core.calendar import JST
from portplus_tui.core.errors import (
    AuthError,
    ConflictError,
    DeadlinePassed,
    NotFoundError,
    ValidationError,
)
from portplus_tui.services import applications as apps
from portplus_tui.services import closed_days
from portplus_tui.store import bulk
from portplus_tui.store import models as m

from .conftest import START

# START is Monday 2026-03-02 10:00 JST. Friday 2026-03-06 has the deadline Wed 03-04.
APPLY = date(2026, 3, 6)
DEADLINE = date(2026, 3, 4)


def jst(y, mo, d, h=0, mi=0, s=0, us=0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=JST)


def snapshot(ctx) -> tuple:
    """Everything a refused call must leave untouched."""
    return (
        sorted(m.Application.select().tuples()),
        sorted(m.ApplicationRevision.select().tuples()),
        sorted(m.DayCount.select().tuples()),
        m.AuditLog.select().count(),
    )


def assert_counts_consistent(ctx, company_id: int) -> None:
    kept = sorted(m.DayCount.select().where(m.DayCount.company == company_id).tuples())
    with ctx.db.atomic():
        bulk.rebuild_day_counts(ctx.db, company_id)
        rebuilt = sorted(m.DayCount.select().where(m.DayCount.company == company_id).tuples())
    assert [r for r in kept if r[2] or r[3]] == [r for r in rebuilt if r[2] or r[3]]


# ------------------------------------------------------------------ create
def test_create_gives_number_revision_zero_and_defaults(ctx, tenant):
    view = apps.create(ctx, tenant.user_session, apply_date="2026-03-06", ports="3")
    assert view.number == f"SO-{view.id:05d}-0"
    assert (view.apply_date, view.ports, view.applicant) == (APPLY, 3, "佐藤 花子")
    assert view.status == m.STATUS_ACTIVE and view.version == 1
    assert view.deadline == DEADLINE and view.can_modify
    assert view.applied_at == START
    hist = apps.history(ctx, tenant.user_session, view.id)
    assert [(h.action, h.version, h.revision) for h in hist] == [("new", 1, 0)]


def test_full_width_digits_are_normalised(ctx, tenant):
    view = apps.create(ctx, tenant.admin_session, apply_date="２０２６－０３－０６", ports="１２",
                       applicant="ＡＢＣ商事")
    assert (view.apply_date, view.ports, view.applicant) == (APPLY, 12, "ABC商事")


@pytest.mark.parametrize("ports", ["0", "1000", "-1", "1.5", "", "abc", "1 2", "\x00", "9" * 5000])
def test_bad_ports_refused_and_nothing_written(ctx, tenant, ports):
    before = snapshot(ctx)
    with pytest.raises(ValidationError) as err:
        apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=ports)
    assert err.value.field == "ports"
    assert snapshot(ctx) == before


@pytest.mark.parametrize("text", ["2026-02-30", "2026/03/06", "", "tomorrow", "2026-3-6"])
def test_bad_dates_refused(ctx, tenant, text):
    before = snapshot(ctx)
    with pytest.raises(ValidationError) as err:
        apps.create(ctx, tenant.user_session, apply_date=text, ports=1)
    assert err.value.field == "apply_date"
    assert snapshot(ctx) == before


def test_deadline_last_moment_allowed_next_moment_refused(ctx, tenant, clock):
    clock.set(jst(2026, 3, 4, 23, 59, 59, 999999), tenant.user_session)
    assert apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=1).deadline == DEADLINE
    clock.set(jst(2026, 3, 5), tenant.user_session)
    before = snapshot(ctx)
    with pytest.raises(DeadlinePassed) as err:
        apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=1)
    assert "2026年3月4日(水)" in err.value.message("ja")
    assert "2026-03-04" in err.value.message("en")
    assert snapshot(ctx) == before


def test_deadline_in_japan_time_whatever_the_clock_zone(ctx, tenant, clock):
    # 2026-03-04 14:59:59 UTC is 23:59:59 JST: still open. 15:00 UTC is closed.
    clock.set(datetime(2026, 3, 4, 14, 59, 59, tzinfo=timezone.utc), tenant.user_session)
    apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=1)
    clock.set(datetime(2026, 3, 4, 15, 0, 0, tzinfo=timezone.utc), tenant.user_session)
    with pytest.raises(DeadlinePassed):
        apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=1)


def test_holidays_count_back_over_business_days_only(ctx, tenant, clock):
    # 適用日 Tue 2027-01-05: deadline Mon 2026-12-28 (year-end closure 12/29-1/3).
    clock.set(jst(2026, 12, 28, 23, 0), tenant.user_session)
    view = apps.create(ctx, tenant.user_session, apply_date="2027-01-05", ports=2)
    assert view.deadline == date(2026, 12, 28)
    clock.set(jst(2026, 12, 29, 0, 0), tenant.user_session)
    with pytest.raises(DeadlinePassed):
        apps.create(ctx, tenant.user_session, apply_date="2027-01-05", ports=2)


def test_closed_day_moves_the_deadline(ctx, tenant, clock):
    closed_days.add(ctx, "2026-03-04")
    # Now the deadline of 03-06 is Tue 03-03.
    assert apps.deadline_for(ctx, tenant.user_session, APPLY) == (date(2026, 3, 3), True)
    clock.set(jst(2026, 3, 4, 9, 0), tenant.user_session)
    with pytest.raises(DeadlinePassed):
        apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=1)
    closed_days.remove(ctx, "2026-03-04")
    apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=1)


def test_at_most_365_days_ahead(ctx, tenant):
    today = START.astimezone(JST).date()
    apps.create(ctx, tenant.user_session, apply_date=today + timedelta(days=365), ports=1)
    before = snapshot(ctx)
    with pytest.raises(ValidationError) as err:
        apps.create(ctx, tenant.user_session, apply_date=today + timedelta(days=366), ports=1)
    assert err.value.field == "apply_date"
    assert snapshot(ctx) == before


def test_applicant_validated(ctx, tenant):
    with pytest.raises(ValidationError) as err:
        apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=1, applicant="a\x1b[31mb")
    assert err.value.field == "applicant"
    with pytest.raises(ValidationError):
        apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=1, applicant="x" * 51)


# ------------------------------------------------------------------ change
def test_change_increments_revision_and_keeps_history(ctx, tenant):
    view = apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=1)
    changed = apps.change(ctx, tenant.admin_session, view.id, version=view.version,
                          apply_date="2026-03-10", ports="5", applicant="田中")
    assert changed.number == f"SO-{view.id:05d}-1"
    assert (changed.apply_date, changed.ports, changed.applicant) == (date(2026, 3, 10), 5, "田中")
    assert changed.version == 2 and changed.applied_at == view.applied_at
    again = apps.change(ctx, tenant.user_session, view.id, version=2, apply_date="2026-03-10",
                        ports=6, applicant="田中")
    assert again.number.endswith("-2")
    hist = apps.history(ctx, tenant.user_session, view.id)
    assert [(h.action, h.version, h.revision, h.ports) for h in hist] == [
        ("new", 1, 0, 1), ("change", 2, 1, 5), ("change", 3, 2, 6)]
    assert [h.number for h in hist] == [f"SO-{view.id:05d}-{r}" for r in (0, 1, 2)]
    assert apps.get_by_number(ctx, tenant.user_session, hist[0].number).revision == 2
    assert_counts_consistent(ctx, tenant.company.id)


def test_change_needs_both_dates_open(ctx, tenant, clock):
    view = apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=1)  # deadline 03-04
    later = apps.create(ctx, tenant.user_session, apply_date="2026-03-20", ports=1)
    clock.set(jst(2026, 3, 5, 9), tenant.user_session)
    # Current date closed: cannot move it anywhere.
    with pytest.raises(DeadlinePassed) as err:
        apps.change(ctx, tenant.user_session, view.id, version=1, apply_date="2026-03-20", ports=1)
    assert "2026年3月4日(水)" in err.value.message("ja")
    # Current date open, new date closed: refused too.
    before = snapshot(ctx)
    with pytest.raises(DeadlinePassed):
        apps.change(ctx, tenant.user_session, later.id, version=1, apply_date="2026-03-06", ports=1)
    assert snapshot(ctx) == before
    apps.change(ctx, tenant.user_session, later.id, version=1, apply_date="2026-03-19", ports=1)


def test_change_with_nothing_changed_is_refused(ctx, tenant):
    view = apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=1)
    with pytest.raises(ValidationError):
        apps.change(ctx, tenant.user_session, view.id, version=1, apply_date=APPLY, ports=1)


def test_stale_version_is_a_conflict(ctx, tenant):
    view = apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=1)
    apps.change(ctx, tenant.admin_session, view.id, version=1, apply_date=APPLY, ports=2)
    before = snapshot(ctx)
    with pytest.raises(ConflictError):
        apps.change(ctx, tenant.user_session, view.id, version=1, apply_date=APPLY, ports=3)
    with pytest.raises(ConflictError):
        apps.cancel(ctx, tenant.user_session, view.id, version=1)
    assert snapshot(ctx) == before


def test_a_change_or_cancel_after_someone_cancelled_says_cancelled(ctx, tenant):
    """Issue 13, point 11: the operator who lost the race to a cancellation is told at
    once that it was cancelled (before, that it was changed, and only after a reload
    why it could not be changed)."""
    view = apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=1)
    changed = apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=1)
    apps.cancel(ctx, tenant.admin_session, view.id, version=view.version)
    apps.change(ctx, tenant.admin_session, changed.id, version=1, apply_date=APPLY, ports=2)
    before = snapshot(ctx)
    for attempt in (
        lambda: apps.change(ctx, tenant.user_session, view.id, version=view.version,
                            apply_date=APPLY, ports=3),
        lambda: apps.cancel(ctx, tenant.user_session, view.id, version=view.version),
    ):
        with pytest.raises(ConflictError) as exc:
            attempt()
        assert exc.value.code == "cancelled_elsewhere"
        assert "キャンセルしました" in exc.value.message("ja")
        assert "cancelled" in exc.value.message("en")
    # A row changed (not cancelled) meanwhile still says changed.
    with pytest.raises(ConflictError) as exc:
        apps.change(ctx, tenant.user_session, changed.id, version=1, apply_date=APPLY, ports=3)
    assert exc.value.code == "conflict" and "変更しました" in exc.value.message("ja")
    assert snapshot(ctx) == before


# ------------------------------------------------------------------ cancel
def test_cancel_keeps_the_row(ctx, tenant):
    view = apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=4)
    done = apps.cancel(ctx, tenant.admin_session, view.id, version=1)
    assert done.cancelled and not done.can_modify and done.revision == 0 and done.version == 2
    assert apps.get(ctx, tenant.user_session, view.id).status == m.STATUS_CANCELLED
    with pytest.raises(ValidationError):
        apps.cancel(ctx, tenant.user_session, view.id, version=2)
    with pytest.raises(ValidationError):
        apps.change(ctx, tenant.user_session, view.id, version=2, apply_date=APPLY, ports=1)
    assert [h.action for h in apps.history(ctx, tenant.user_session, view.id)] == ["new", "cancel"]
    totals = apps.day_totals(ctx, tenant.user_session, APPLY, APPLY)
    assert [(t.active, t.cancelled, t.ports) for t in totals] == [(0, 1, 0)]


def test_cancel_refused_after_deadline(ctx, tenant, clock):
    view = apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=4)
    clock.set(jst(2026, 3, 4, 23, 59, 59), tenant.user_session)
    assert apps.get(ctx, tenant.user_session, view.id).can_modify
    clock.set(jst(2026, 3, 5, 0, 0, 0), tenant.user_session)
    listed = apps.get(ctx, tenant.user_session, view.id)
    assert not listed.can_modify and not listed.open
    with pytest.raises(DeadlinePassed):
        apps.cancel(ctx, tenant.user_session, view.id, version=1)
    assert apps.get(ctx, tenant.user_session, view.id).status == m.STATUS_ACTIVE


# ------------------------------------------------------------------ tenancy
def test_other_company_cannot_see_or_touch(ctx, tenant, other_tenant):
    view = apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=1)
    intruder = other_tenant.admin_session
    before = snapshot(ctx)
    for call in (
        lambda: apps.get(ctx, intruder, view.id),
        lambda: apps.get_by_number(ctx, intruder, view.number),
        lambda: apps.history(ctx, intruder, view.id),
        lambda: apps.change(ctx, intruder, view.id, version=1, apply_date=APPLY, ports=9),
        lambda: apps.cancel(ctx, intruder, view.id, version=1),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert snapshot(ctx) == before
    page = apps.list_page(ctx, intruder, apps.period_query("2026-01-01", "2026-12-31"))
    assert page.total == 0 and page.rows == []
    assert list(apps.export_rows(ctx, intruder)) == []
    assert apps.day_totals(ctx, intruder, APPLY, APPLY) == []


def test_session_company_is_what_counts_not_the_id(ctx, tenant, other_tenant):
    """A forged session (other company's account id with this company) is refused."""
    forged = other_tenant.admin_session
    forged.company_id = tenant.company.id
    with pytest.raises(AuthError):
        apps.create(ctx, forged, apply_date=APPLY, ports=1)


# ------------------------------------------------------------------ export
def test_export_follows_the_lists_search(ctx, tenant, other_tenant):
    """export_rows exports what the list shows: the period, and cancelled rows only when
    they are shown (include_cancelled, default True: the CLI exports everything)."""
    s = tenant.user_session
    day1, day2, day3 = APPLY, APPLY + timedelta(days=4), APPLY + timedelta(days=5)
    kept = apps.create(ctx, s, apply_date=day1, ports=1, applicant="a")
    gone = apps.create(ctx, s, apply_date=day2, ports=2, applicant="b")
    later = apps.create(ctx, s, apply_date=day3, ports=3, applicant="c")
    gone = apps.cancel(ctx, s, gone.id, version=gone.version)
    apps.create(ctx, other_tenant.user_session, apply_date=day2, ports=4)

    def numbers(*args, **kwargs) -> list[str]:
        return [row[0] for row in apps.export_rows(ctx, s, *args, **kwargs)]

    assert numbers() == [kept.number, gone.number, later.number]
    assert numbers(include_cancelled=True) == numbers()
    assert numbers(include_cancelled=False) == [kept.number, later.number]
    assert numbers(day1, day2) == [kept.number, gone.number]
    assert numbers(day1, day2, include_cancelled=False) == [kept.number]
    assert numbers(day2, day2, include_cancelled=False) == []
    # Exactly the rows (and the total) of the list's search, both ways.
    for include in (True, False):
        query = apps.period_query(day1, day3, page_size=100, include_cancelled=include)
        page = apps.list_page(ctx, s, query)
        assert numbers(query.start, query.end, include_cancelled=include) == [
            v.number for v in page.rows]
        assert page.total == len(page.rows)
    rows = {row[0]: row for row in apps.export_rows(ctx, s)}
    assert rows[gone.number][5] == "キャンセル済" and rows[kept.number][5] == "受付"
    # One listed row in the export's format (what the TUI copies): the same cells.
    query = apps.period_query(day1, day3, page_size=100)
    for view in apps.list_page(ctx, s, query).rows:
        assert apps.export_cells(view) == rows[view.number]


FORMULAS = ['=HYPERLINK("http://x","y")', "+81-3-1234", "-2+3", "@SUM(A1:A9)", "=1+1"]


def test_export_defuses_formulas_in_the_applicant_cell(ctx, tenant):
    """CSV formula injection (OWASP): a text cell starting with = + - @ tab or CR gets a
    leading ' in the export; what is stored and listed is unchanged."""
    s = tenant.user_session
    made = [apps.create(ctx, s, apply_date=APPLY, ports=1, applicant=text) for text in FORMULAS]
    plain = apps.create(ctx, s, apply_date=APPLY, ports=1, applicant="山田 太郎 a=b")
    quoted = apps.create(ctx, s, apply_date=APPLY, ports=1, applicant="'quoted")
    # Tab and CR cannot be typed into 申込者; rows loaded by other means are covered too.
    raw = [apps.create(ctx, s, apply_date=APPLY, ports=1, applicant="x") for _ in range(2)]
    for view, text in zip(raw, ("\tcmd", "\r=1+1")):
        m.Application.update(applicant=text).where(m.Application.id == view.id).execute()

    rows = {row[0]: row for row in apps.export_rows(ctx, s)}
    for view, text in zip(made, FORMULAS):
        assert rows[view.number][3] == "'" + text
        assert apps.get(ctx, s, view.id).applicant == text  # stored as typed
    assert rows[raw[0].number][3] == "'\tcmd" and rows[raw[1].number][3] == "'\r=1+1"
    assert rows[plain.number][3] == "山田 太郎 a=b" and rows[quoted.number][3] == "'quoted"
    # Only the text cell: number, dates, ports, state and deadline are as they were.
    first = rows[made[0].number]
    assert first[0] == made[0].number and first[1] == APPLY.isoformat() and first[2] == 1
    assert first[5] == "受付"


@pytest.mark.parametrize("text, cell", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("", ""), ("a=1", "a=1"), (" =1", " =1"), ("＝1", "＝1"), ("'=1", "'=1"),
])
def test_csv_text_cell(text, cell):
    assert apps.csv_text_cell(text) == cell


# ------------------------------------------------------------------ mail, audit
def test_confirmation_mail_and_audit(ctx, tenant):
    view = apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=2)
    apps.cancel(ctx, tenant.user_session, view.id, version=1)
    sent = ctx.mailer.sent
    assert [mail.to for mail in sent] == ["user@example.com", "user@example.com"]
    assert view.number in sent[0].body and "キャンセル" in sent[1].subject
    actions = [e.action for e in
               __import__("portplus_tui.services.audit", fromlist=["x"]).list_entries(ctx, tenant.admin_session)]
    assert actions[:2] == ["application.cancel", "application.new"]


def test_mail_switch_off_and_failure_does_not_undo(ctx, tenant, settings):
    ctx.settings = settings.replace(mail_on_application=False)
    apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=2)
    assert ctx.mailer.sent == []
    ctx.settings = settings
    ctx.mailer.fail = True
    view = apps.create(ctx, tenant.user_session, apply_date=APPLY, ports=2)
    assert view.mail_failed
    assert apps.get(ctx, tenant.user_session, view.id).ports == 2


def test_number_parsing():
    assert apps.parse_number("so-03089-0") == (3089, 0)
    assert apps.format_number(3089, 2) == "SO-03089-2"
    assert apps.format_number(123456, 0) == "SO-123456-0"
    for bad in ("SO-3089", "XX-03089-0", "", "SO--1-0"):
        with pytest.raises(ValidationError):
            apps.parse_number(bad)


def test_database_failures_become_typed_errors():
    import peewee

    from portplus_tui.core.errors import DatabaseUnavailable
    from portplus_tui.services.context import as_user_error

    busy = as_user_error(peewee.OperationalError("database is locked"))
    down = as_user_error(peewee.OperationalError("connection refused"))
    ro = as_user_error(peewee.OperationalError("attempt to write a readonly database"))
    assert all(isinstance(e, DatabaseUnavailable) for e in (busy, down, ro))
    assert "混雑" in busy.message("ja") and "接続" in down.message("ja") and "読み取り専用" in ro.message("ja")
    assert as_user_error(KeyError("bug")) is None
