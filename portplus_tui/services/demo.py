"""Demo data: two companies, their accounts, and applications around today.

The demo accounts have well-known passwords (they are printed): they must never reach a
database with real customers. The companies the demo creates are recorded
(``DemoMarker``), and the demo refuses (``DemoRefused``, nothing written) a database that
holds any other company. An empty database is seeded; a demo database is seeded again.

Applications are bulk-loaded (one million in well under a minute) with their revision
rows and per-day counts, so the demo looks exactly like data made through the service.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta, timezone

from portplus_tui.core.errors import DemoRefused, NotFoundError
from portplus_tui.core.messages import texts
from portplus_tui.services import accounts, companies
from portplus_tui.services.context import AppContext
from portplus_tui.store import bulk
from portplus_tui.store import models as m

DEMO_COMPANY = "M97-00339"
DEMO_2FA_COMPANY = "M97-00340"
DEMO_LOGINS = (
    # member_no, login id, password, role, name
    (DEMO_COMPANY, "admin@example.com", "demo-admin-1", "admin", "山田 太郎"),
    (DEMO_COMPANY, "user@example.com", "demo-user-1", "user", "佐藤 花子"),
    (DEMO_2FA_COMPANY, "admin@example.com", "demo-admin-1", "admin", "鈴木 一郎"),
)
APPLICANTS = ("山田 太郎", "佐藤 花子", "田中 次郎", "高橋 美咲", "伊藤 健")


@dataclass(frozen=True)
class DemoResult:
    created_companies: list[str]
    created_accounts: list[str]
    applications: int


def check_database(ctx: AppContext) -> None:
    """Refuse (``DemoRefused``) a database holding a company the demo did not create.
    Reads only, and works before the database is migrated (no table yet: empty)."""
    db = ctx.db
    if not db.table_exists(m.Company._meta.table_name):
        return
    members = [row.member_no for row in m.Company.select(m.Company.member_no)]
    if not members:
        return
    ours: set[str] = set()
    if db.table_exists(m.DemoMarker._meta.table_name):
        ours = {row.member_no for row in m.DemoMarker.select(m.DemoMarker.member_no)}
    foreign = sorted(set(members) - ours)
    if foreign:
        raise DemoRefused(
            *texts('demo.check_database', count=len(foreign), foreign=foreign[0]),
        )


def _ensure_company(ctx: AppContext, member_no: str, **fields) -> bool:
    try:
        companies.find_company(ctx, member_no)
        return False
    except NotFoundError:
        with ctx.db.atomic():
            companies.add_company(ctx, member_no, **fields)
            m.DemoMarker.create(member_no=member_no,
                                created_at=ctx.now().astimezone(timezone.utc).replace(tzinfo=None))
        return True


def seed(ctx: AppContext, *, applications: int = 0, rng: random.Random | None = None) -> DemoResult:
    """Create the demo companies and accounts if missing; give M97-00339 about 60
    applications around today when it has none; then add ``applications`` more spread
    over the two years around today. ``DemoRefused`` (nothing written) on a database
    with companies of its own (``check_database``)."""
    check_database(ctx)
    rng = rng or random.Random(339)
    made: list[str] = []
    if _ensure_company(ctx, DEMO_COMPANY, name="NTT BizLink", address="東京都文京区小石川1-4-1", ports=30):
        made.append(DEMO_COMPANY)
    if _ensure_company(ctx, DEMO_2FA_COMPANY, name="二段階認証デモ", address="東京都千代田区大手町1-1-1",
                       ports=10, two_factor=True):
        made.append(DEMO_2FA_COMPANY)
    company = companies.find_company(ctx, DEMO_COMPANY)
    accounts_made: list[str] = []
    for member_no, login_id, password, role, name in DEMO_LOGINS:
        existing = {a.login_id for a in accounts.list_accounts_for(ctx, member_no)}
        if login_id in existing:
            continue
        accounts.add_account(ctx, member_no, login_id, name=name, role=role,
                             department="情報システム部" if role == "admin" else "営業部",
                             phone="03-1234-5678", expires="9999-12-31", password=password)
        accounts_made.append(f"{member_no} {login_id}")
    today = ctx.today()
    added = 0
    has_any = m.Application.select().where(m.Application.company == company.id).exists()
    if not has_any:
        added += load_applications(ctx, company.id, 60, today - timedelta(days=30),
                                   today + timedelta(days=60), rng, cancelled_share=0.08,
                                   changed_share=0.15)
    if applications > 0:
        added += load_applications(ctx, company.id, applications, today - timedelta(days=365),
                                   today + timedelta(days=365), rng)
    return DemoResult(made, accounts_made, added)


def load_applications(ctx: AppContext, company_id: int, count: int, first: date, last: date,
                      rng: random.Random, *, cancelled_share: float = 0.03,
                      changed_share: float = 0.05) -> int:
    """Bulk-load ``count`` applications with 適用日 in [first, last]."""
    db = ctx.db
    span = (last - first).days
    admin = (
        m.Account.select(m.Account.id, m.Account.login_id)
        .where((m.Account.company == company_id) & (m.Account.role == m.ROLE_ADMIN))
        .first()
    )
    account_id = admin.id if admin else None
    actor = admin.login_id if admin else "provider"
    now = ctx.now().astimezone(timezone.utc).replace(tzinfo=None)

    # Rows are built as text (dates as ISO strings): both SQLite's executemany and
    # PostgreSQL's COPY take them as they are, and formatting 731 distinct days once
    # is much cheaper than converting a million date objects.
    now_offset = (now.date() - first).days
    day_text = {k: (first + timedelta(days=k)).isoformat() for k in range(-45, span + 1)}
    rand = rng.random
    active, cancelled = m.STATUS_ACTIVE, m.STATUS_CANCELLED
    n_applicants = len(APPLICANTS)

    def chunk_rows(start_id: int, n: int) -> tuple[list[tuple], list[tuple]]:
        apps: list[tuple] = []
        revisions: list[tuple] = []
        add_app, add_rev = apps.append, revisions.append
        for app_id in range(start_id, start_id + n):
            offset = int(rand() * (span + 1))
            day = day_text[offset]
            ports = 1 + int(rand() * 20)
            made_offset = min(offset - 3 - int(rand() * 38), now_offset - 1)
            # 09:00-17:59 JST on the day it was made, stored as UTC (00:00-08:59).
            hour, minute = app_id % 9, app_id % 60
            made = f"{day_text[made_offset]} {hour:02d}:{minute:02d}:00"
            applicant = APPLICANTS[app_id % n_applicants]
            add_rev((app_id, 1, 0, "new", day, ports, applicant, active, account_id, actor, made))
            roll = rand()
            if roll < changed_share:
                updated = f"{day_text[made_offset]} {hour + 1:02d}:{minute:02d}:00"
                add_app((app_id, company_id, day, ports + 1, applicant, made, active, 1, 2,
                         account_id, updated))
                add_rev((app_id, 2, 1, "change", day, ports + 1, applicant, active, account_id,
                         actor, updated))
            elif roll < changed_share + cancelled_share:
                updated = f"{day_text[made_offset]} {hour + 2:02d}:{minute:02d}:00"
                add_app((app_id, company_id, day, ports, applicant, made, cancelled, 0, 2,
                         account_id, updated))
                add_rev((app_id, 2, 0, "cancel", day, ports, applicant, cancelled, account_id,
                         actor, updated))
            else:
                add_app((app_id, company_id, day, ports, applicant, made, active, 0, 1,
                         account_id, made))
        return apps, revisions

    big = count >= 100_000
    with db.atomic():
        next_id = bulk.max_id(db, "application") + 1
        if big:  # build the paging index once, sorted, instead of row by row
            db.execute_sql(f'DROP INDEX IF EXISTS "{_PAGING_INDEX}"')
        remaining = count
        while remaining > 0:
            n = min(remaining, 50_000)
            apps, revisions = chunk_rows(next_id, n)
            bulk.insert_rows(db, "application", _APP_COLUMNS, apps)
            bulk.insert_rows(db, "application_revision", _REV_COLUMNS, revisions)
            next_id += n
            remaining -= n
        if big:
            # Peewee's schema manager (documented, not in its type hints)
            m.Application._schema.create_indexes(safe=True)  # type: ignore[attr-defined]
        bulk.reset_sequence(db, "application")
        bulk.rebuild_day_counts(db, company_id)
    db.execute_sql("ANALYZE")
    return count


_PAGING_INDEX = "application_company_id_apply_date_id"
_APP_COLUMNS = ("id", "company_id", "apply_date", "ports", "applicant", "applied_at", "status",
                "revision", "version", "account_id", "updated_at")


_REV_COLUMNS = ("application_id", "version", "revision", "action", "apply_date", "ports",
                "applicant", "status", "account_id", "actor", "at")
