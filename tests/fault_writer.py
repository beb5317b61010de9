"""The writer process that tests/test_faults_kill.py kills with SIGKILL (issue 6, item 5).

``run`` is the target of a ``multiprocessing`` process (forkserver; this module is
preloaded there, so starting a writer costs a fork, not an interpreter). It opens its
own ``AppContext`` on the database the test made, and creates, changes and cancels
applications of one company through the services, forever, telling the test over a
``multiprocessing`` pipe what happened:

    ("ready",)                           connected, about to write
    ("done", op, app_id, version)        op (new | change | cancel) has committed
    ("refused", op, message)             a typed refusal (conflict, deadline, validation)
    ("error", traceback)                 anything else: the test fails
    ("at", marker)                       lockstep only, see below

In lockstep mode the database's ``begin``, ``execute_sql``, ``commit`` and ``rollback``
are wrapped (on this process's database object only): after each of them, and once
more just before the COMMIT, the writer sends ``("at", marker)`` and waits for the
test's acknowledgement. The test kills it instead of answering at the marker it chose,
so the kill lands exactly at that point: between two statements of a write transaction,
just before its COMMIT, or just after it (committed but not yet reported). Markers:
``begin``, ``sql <VERB> <table>``, ``commit``, ``committed``, ``rollback``.
"""

from __future__ import annotations

import random
import sys
import traceback
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from portplus_tui.config import Settings
from portplus_tui.core.errors import ConflictError, DeadlinePassed, ValidationError
from portplus_tui.services import accounts
from portplus_tui.services import applications as apps
from portplus_tui.services.context import AppContext, Session, credential_stamp
from portplus_tui.services.mail import MemoryBackend
from portplus_tui.store import models as m

# The fixed "now" of the writers: Monday 2026-03-02 10:00 JST (as tests/services' START).
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
# 適用日 of the writers' applications: open at NOW and within 365 days.
FIRST_DAY = date(2026, 3, 20)
DAYS = 60
OPS = ("new", "change", "cancel")
OP_WEIGHTS = (45, 40, 15)


def fixed_clock() -> datetime:
    return NOW


def settings_for(url: str, data_dir: str | Path) -> Settings:
    """What the test and the writer both use (as tests/services' make_settings)."""
    return Settings(data_dir=Path(data_dir), database_url=url, bcrypt_rounds=4,
                    mail_backend="memory").validate()


def _marker(sql: str) -> str:
    words = sql.replace('"', " ").split()
    verb = words[0].upper() if words else "?"
    table = ""
    upper = [w.upper() for w in words]
    for key in ("INTO", "UPDATE", "FROM"):
        if key in upper:
            k = upper.index(key)
            if k + 1 < len(words):
                table = words[k + 1]
                break
    return f"sql {verb} {table}".rstrip()


def instrument(db, conn) -> None:
    """Lockstep: pause after every statement (and before COMMIT) until the test answers."""
    execute_sql, begin, commit, rollback = db.execute_sql, db.begin, db.commit, db.rollback

    def pause(marker: str) -> None:
        conn.send(("at", marker))
        conn.recv()  # the acknowledgement; or SIGKILL arrives while we wait here

    def paused_execute_sql(sql, params=None, *args, **kwargs):
        cursor = execute_sql(sql, params, *args, **kwargs)
        pause(_marker(sql))
        return cursor

    def paused_begin(*args, **kwargs):
        begin(*args, **kwargs)
        pause("begin")

    def paused_commit(*args, **kwargs):
        pause("commit")
        commit(*args, **kwargs)
        pause("committed")

    def paused_rollback(*args, **kwargs):
        rollback(*args, **kwargs)
        pause("rollback")

    db.execute_sql = paused_execute_sql
    db.begin = paused_begin
    db.commit = paused_commit
    db.rollback = paused_rollback


def sessions_of(ctx: AppContext, member_no: str, company_id: int) -> list[Session]:
    return [
        Session(company_id=company_id, member_no=member_no, role=a.role, account_id=a.id,
                login_id=a.login_id, name=a.name, login_at=NOW, last_activity=NOW,
                credential=credential_stamp(m.Account.get_by_id(a.id).password_hash))
        for a in accounts.list_accounts_for(ctx, member_no)
    ]


def run(conn, url: str, data_dir: str, member_no: str, company_id: int, seed: int,
        lockstep: bool) -> None:
    """Write until killed (the test always kills it)."""
    try:
        _write_forever(conn, url, data_dir, member_no, company_id, seed, lockstep)
    except BaseException:  # noqa: BLE001 - the test fails with this traceback
        conn.send(("error", traceback.format_exc()))
        sys.exit(3)


def _write_forever(conn, url, data_dir, member_no, company_id, seed, lockstep) -> None:
    rng = random.Random(seed)
    settings = settings_for(url, data_dir)
    ctx = AppContext.open(settings, clock=fixed_clock, mailer=MemoryBackend(sender=settings.mail_from))
    sessions = sessions_of(ctx, member_no, company_id)
    query = apps.period_query(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS), page_size=50,
                              include_cancelled=False)
    ctx.db.connect(reuse_if_open=True)
    if lockstep:
        instrument(ctx.db, conn)
    conn.send(("ready",))
    n = 0
    while True:
        n += 1
        op = rng.choices(OPS, OP_WEIGHTS)[0]
        session = rng.choice(sessions)
        day = FIRST_DAY + timedelta(days=rng.randint(0, DAYS))
        ports = rng.randint(1, 999)
        target = None
        if op != "new":
            page = apps.list_page(ctx, session, query, rng.randint(1, 3))
            if page.rows:
                target = rng.choice(page.rows)
            else:
                op = "new"
        try:
            if op == "new":
                view = apps.create(ctx, session, apply_date=day, ports=ports, applicant=f"writer {seed}-{n}")
            elif op == "change":
                view = apps.change(ctx, session, target.id, version=target.version, apply_date=day,
                                   ports=ports, applicant=f"writer {seed}-{n}")
            else:
                view = apps.cancel(ctx, session, target.id, version=target.version)
        except (ConflictError, DeadlinePassed, ValidationError) as exc:
            conn.send(("refused", op, exc.en))
            continue
        conn.send(("done", op, view.id, view.version))
