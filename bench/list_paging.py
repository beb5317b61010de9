"""Paging of the application list with a million applications (SPEC §10, R-LST-5).

    .venv/bin/python bench/list_paging.py                    # 1,000,000 on SQLite and PostgreSQL
    .venv/bin/python bench/list_paging.py --skip-postgres
    .venv/bin/python bench/list_paging.py --applications 100000
    .venv/bin/python bench/list_paging.py --reuse /tmp/pp1m.db --reuse postgresql://u@h/db

Builds the databases with ``demo.seed`` (bulk load: M97-00339 gets about 60 applications
around today plus N spread over the two years around today) and prints how long that took.
A ``--reuse`` target (SQLite file path / ``sqlite:///`` URL, or ``postgresql://`` URL) is
used as it is when it already holds N applications of M97-00339, otherwise the missing
ones are seeded into it; it is kept afterwards (so the second run is quick).

Then, with a provider session of M97-00339 (reads only), for four searches — the current
billing month (月検索) and a period over every day that has applications (期間検索, the
worst case), each with and without cancelled rows — page size 10, it times the service
calls of the list screen:

    first page            list_page(q, 1)
    middle page           list_page(q, page_count // 2)
    last page (page=-1)   list_page(q, -1)
    last page (last_page) last_page(q)
    next from middle      next_page(middle)
    prev from middle      prev_page(middle)
    size 10→100 (middle)  list_page(q.with_page_size(100), page holding the middle page's first row)
    random jumps          list_page(q, k) for a different random k on each call

and the same work as raw SQL through the driver (sqlite3 / psycopg, on the context's own
connection): the day_count read and the row query (OFFSET within the start day, or keyset),
written the tight way (one lower and one upper bound on apply_date). "ratio" is service
median / raw median: the cost of the ORM, the views (deadline per row) and the per-call
reads the service adds (closed days for the calendar) — or, when it is large, a sign that
the service's SQL does more work than the raw one.

Each line is judged on the max of its timed calls against the SPEC §10 goals (under 50 ms
on SQLite, under 100 ms on PostgreSQL) and printed PASS or FAIL. For failing lines the
slowest statement the service ran is shown with its plan. The exit status is 0 whatever
the verdicts (1 on an error, 2 when service and raw SQL disagree on a page's rows).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import random
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

import peewee

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_APPLICATIONS,
    DEMO_COMPANY,
    BenchDb,
    Stats,
    fmt_ms,
    load_average,
    machine_info,
    measure,
    postgres_database,
    print_machine_info,
    print_table,
    say,
    sqlite_database,
)

from portplus_tui.core.calendar import billing_month_of  # noqa: E402
from portplus_tui.services import applications as apps  # noqa: E402
from portplus_tui.services import companies  # noqa: E402
from portplus_tui.services.context import Session  # noqa: E402
from portplus_tui.store import models as m  # noqa: E402

GOAL_MS = {"sqlite": 50.0, "postgres": 100.0}
PAGE_SIZE = 10
COLUMNS = ("id, company_id, apply_date, ports, applicant, applied_at, status, revision, "
           "version, account_id, updated_at")


# ------------------------------------------------------------------ raw SQL
class RawPaging:
    """The service's paging algorithm, as plain SQL through the driver."""

    def __init__(self, db: BenchDb):
        self.db = db
        self.cid = db.company_id

    def _status(self, q: apps.ListQuery) -> tuple[str, list]:
        return ("", []) if q.include_cancelled else (" AND status = ?", [m.STATUS_ACTIVE])

    def counts(self, q: apps.ListQuery) -> list[tuple[Any, int]]:
        column = "active + cancelled" if q.include_cancelled else "active"
        rows = self.db.execute(
            f"SELECT day, {column} FROM day_count WHERE company_id = ? AND day >= ? AND day <= ?"
            " ORDER BY day", (self.cid, q.start, q.end))
        return [(day, n) for day, n in rows if n > 0]

    def list_page(self, q: apps.ListQuery, page: int) -> tuple[int, list[tuple]]:
        counts = self.counts(q)
        total = sum(n for _, n in counts)
        pages = max(1, -(-total // q.page_size))
        number = pages if page == -1 else min(max(1, page), pages)
        offset = (number - 1) * q.page_size
        before, start_day = 0, q.start
        for day, n in counts:
            if before + n > offset:
                start_day = day
                break
            before += n
        extra, params = self._status(q)
        rows = self.db.execute(
            f"SELECT {COLUMNS} FROM application WHERE company_id = ? AND apply_date >= ?"
            f" AND apply_date <= ?{extra} ORDER BY apply_date, id LIMIT ? OFFSET ?",
            (self.cid, start_day, q.end, *params, q.page_size, offset - before))
        return total, rows

    def last_page(self, q: apps.ListQuery) -> tuple[int, list[tuple]]:
        total = sum(n for _, n in self.counts(q))
        pages = max(1, -(-total // q.page_size))
        size = total - (pages - 1) * q.page_size
        extra, params = self._status(q)
        rows = self.db.execute(
            f"SELECT {COLUMNS} FROM application WHERE company_id = ? AND apply_date >= ?"
            f" AND apply_date <= ?{extra} ORDER BY apply_date DESC, id DESC LIMIT ?",
            (self.cid, q.start, q.end, *params, size))
        rows.reverse()
        return total, rows

    def next_page(self, q: apps.ListQuery, key: tuple[date, int]) -> tuple[int, list[tuple]]:
        day, last_id = key
        extra, params = self._status(q)
        rows = self.db.execute(
            f"SELECT {COLUMNS} FROM application WHERE company_id = ? AND apply_date >= ?"
            f" AND apply_date <= ?{extra} AND (apply_date > ? OR id > ?)"
            " ORDER BY apply_date, id LIMIT ?",
            (self.cid, day, q.end, *params, day, last_id, q.page_size))
        total = sum(n for _, n in self.counts(q))
        return total, rows

    def prev_page(self, q: apps.ListQuery, key: tuple[date, int]) -> tuple[int, list[tuple]]:
        day, first_id = key
        extra, params = self._status(q)
        rows = self.db.execute(
            f"SELECT {COLUMNS} FROM application WHERE company_id = ? AND apply_date >= ?"
            f" AND apply_date <= ?{extra} AND (apply_date < ? OR id < ?)"
            " ORDER BY apply_date DESC, id DESC LIMIT ?",
            (self.cid, q.start, day, *params, day, first_id, q.page_size))
        rows.reverse()
        total = sum(n for _, n in self.counts(q))
        return total, rows

    # Reference only: what paging costs without the day_count table and keysets.
    def naive_count(self, q: apps.ListQuery) -> int:
        extra, params = self._status(q)
        return self.db.execute(
            f"SELECT COUNT(*) FROM application WHERE company_id = ? AND apply_date >= ?"
            f" AND apply_date <= ?{extra}", (self.cid, q.start, q.end, *params))[0][0]

    def naive_page(self, q: apps.ListQuery, offset: int) -> list[tuple]:
        extra, params = self._status(q)
        return self.db.execute(
            f"SELECT {COLUMNS} FROM application WHERE company_id = ? AND apply_date >= ?"
            f" AND apply_date <= ?{extra} ORDER BY apply_date, id LIMIT ? OFFSET ?",
            (self.cid, q.start, q.end, *params, q.page_size, offset))


# ------------------------------------------------------------------ capturing SQL
class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, tuple]] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.msg
        if isinstance(msg, tuple) and len(msg) == 2:
            self.statements.append((msg[0], tuple(msg[1] or ())))


def statements_of(fn: Callable[[], Any]) -> list[tuple[str, tuple]]:
    """The SQL statements (with parameters) that one call of ``fn`` runs through peewee."""
    logger = logging.getLogger("peewee")
    handler = _Capture()
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        fn()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate
    return handler.statements


def explain_slowest(db: BenchDb, fn: Callable[[], Any]) -> tuple[str, tuple, float, list[str]]:
    """Run each statement of ``fn`` through the driver (3 times, best kept), and give the
    slowest one with its plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL)."""
    conn = db.raw_connection()
    best: tuple[str, tuple, float] | None = None
    for sql, params in statements_of(fn):
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        params = tuple(db.param(p) for p in params)
        times = []
        for _ in range(3):
            cur = conn.cursor()
            start = time.perf_counter()
            cur.execute(sql, params)
            cur.fetchall()
            times.append((time.perf_counter() - start) * 1000)
            cur.close()
        if best is None or min(times) > best[2]:
            best = (sql, params, min(times))
    if best is None:
        return "", (), 0.0, []
    sql, params, ms = best
    cur = conn.cursor()
    if db.kind == "sqlite":
        cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = [str(row[-1]) for row in cur.fetchall()]
    else:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = [str(row[0]) for row in cur.fetchall()]
    cur.close()
    return sql, params, ms, plan


# ------------------------------------------------------------------ the runs
@dataclass
class Op:
    name: str
    service: Callable[[], Any]
    raw: Callable[[], Any]
    check: Callable[[], str | None]  # None when service and raw agree


@dataclass
class Result:
    service: Stats
    raw: Stats
    mismatch: str | None = None


@dataclass
class Run:
    db_kind: str
    results: dict[tuple[str, str], Result] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)
    naive: dict[str, Stats] = field(default_factory=dict)
    failing: dict[tuple[str, str], Callable[[], Any]] = field(default_factory=dict)
    explainable: dict[tuple[str, str], Callable[[], Any]] = field(default_factory=dict)


def _compare(service_page: apps.Page, raw: tuple[int, list[tuple]]) -> str | None:
    total, rows = raw
    got = [v.id for v in service_page.rows]
    want = [r[0] for r in rows]
    if service_page.total != total or got != want:
        return (f"service total {service_page.total} ids {got[:3]}…{got[-2:]}; "
                f"raw total {total} ids {want[:3]}…{want[-2:]}")
    return None


def _ops(ctx, session: Session, raw: RawPaging, q: apps.ListQuery, rng: random.Random,
         reps: int, warmup: int) -> tuple[list[Op], apps.Page]:
    first = apps.list_page(ctx, session, q, 1)
    mid_no = max(1, first.page_count // 2)
    mid = apps.list_page(ctx, session, q, mid_no)
    q100 = q.with_page_size(100)
    target100 = (mid.first_index - 1) // 100 + 1 if mid.rows else 1
    jumps = [rng.randint(1, first.page_count) for _ in range(reps + warmup + 1)]

    def cycled(seq, call):
        it = itertools.cycle(seq)
        return lambda: call(next(it))

    ops = [
        Op("first page",
           lambda: apps.list_page(ctx, session, q, 1),
           lambda: raw.list_page(q, 1),
           lambda: _compare(apps.list_page(ctx, session, q, 1), raw.list_page(q, 1))),
        Op(f"middle page ({mid_no:,})",
           lambda: apps.list_page(ctx, session, q, mid_no),
           lambda: raw.list_page(q, mid_no),
           lambda: _compare(apps.list_page(ctx, session, q, mid_no), raw.list_page(q, mid_no))),
        Op("last page (list_page -1)",
           lambda: apps.list_page(ctx, session, q, -1),
           lambda: raw.list_page(q, -1),
           lambda: _compare(apps.list_page(ctx, session, q, -1), raw.list_page(q, -1))),
        Op("last page (last_page())",
           lambda: apps.last_page(ctx, session, q),
           lambda: raw.last_page(q),
           lambda: _compare(apps.last_page(ctx, session, q), raw.last_page(q))),
        Op("next from middle",
           lambda: apps.next_page(ctx, session, mid),
           lambda: raw.next_page(q, mid.rows[-1].key),
           lambda: _compare(apps.next_page(ctx, session, mid), raw.next_page(q, mid.rows[-1].key))),
        Op("prev from middle",
           lambda: apps.prev_page(ctx, session, mid),
           lambda: raw.prev_page(q, mid.rows[0].key),
           lambda: _compare(apps.prev_page(ctx, session, mid), raw.prev_page(q, mid.rows[0].key))),
        Op(f"size 10→100 (middle → {target100:,})",
           lambda: apps.list_page(ctx, session, q100, target100),
           lambda: raw.list_page(q100, target100),
           lambda: _compare(apps.list_page(ctx, session, q100, target100),
                            raw.list_page(q100, target100))),
        Op("random jumps (any depth)",
           cycled(jumps, lambda k: apps.list_page(ctx, session, q, k)),
           cycled(jumps, lambda k: raw.list_page(q, k)),
           lambda: _compare(apps.list_page(ctx, session, q, jumps[0]), raw.list_page(q, jumps[0]))),
    ]
    return ops, first


def _admin_session(db: BenchDb) -> Session | None:
    row = (m.Account.select()
           .where((m.Account.company == db.company_id) & (m.Account.role == m.ROLE_ADMIN)
                  & (m.Account.deleted == False))  # noqa: E712
           .first())
    if row is None:
        return None
    return Session(company_id=db.company_id, member_no=DEMO_COMPANY, role=row.role,
                   account_id=row.id, login_id=row.login_id, name=row.name)


def queries(db: BenchDb) -> list[tuple[str, apps.ListQuery]]:
    ctx = db.ctx
    year, mon = billing_month_of(ctx.today(), ctx.settings.closing_day)
    month = f"{year:04d}-{mon:02d}"
    d = m.DayCount
    lo, hi = (d.select(peewee.fn.MIN(d.day), peewee.fn.MAX(d.day))
              .where(d.company == db.company_id).tuples().get())
    out = []
    for include in (True, False):
        tag = "all rows" if include else "active only"
        out.append((f"month {month}, {tag}",
                    apps.month_query(ctx, month, page_size=PAGE_SIZE, include_cancelled=include)))
    for include in (True, False):
        tag = "all rows" if include else "active only"
        out.append((f"period, every day, {tag}",
                    apps.period_query(lo, hi, page_size=PAGE_SIZE, include_cancelled=include)))
    return out


def run_paging(db: BenchDb, reps: int, warmup: int, budget: float) -> Run:
    ctx = db.ctx
    session = companies.provider_session(ctx, DEMO_COMPANY)
    raw = RawPaging(db)
    run = Run(db.kind)
    rng = random.Random(20240601)
    goal = GOAL_MS[db.kind]
    d = m.DayCount
    densest = (d.select(d.day, d.active + d.cancelled).where(d.company == db.company_id)
               .order_by((d.active + d.cancelled).desc()).limit(1).tuples().first())
    if densest:
        run.details.append(f"densest day {densest[0]}: {densest[1]:,} rows (bounds the OFFSET "
                           "within the day a page starts on)")
    for qlabel, q in queries(db):
        ops, first = _ops(ctx, session, raw, q, rng, reps, warmup)
        run.details.append(f"{qlabel}: {q.start} .. {q.end}, {first.total:,} rows, "
                           f"{first.page_count:,} pages of {q.page_size}")
        for op in ops:
            mismatch = op.check()
            svc = measure(op.service, reps=reps, warmup=warmup, budget_s=budget)
            rw = measure(op.raw, reps=reps, warmup=warmup, budget_s=budget)
            run.results[(qlabel, op.name)] = Result(svc, rw, mismatch)
            if svc.max >= goal:
                run.failing[(qlabel, op.name)] = op.service
            elif qlabel.startswith("period"):
                run.explainable[(qlabel, op.name)] = op.service
            say(f"    {qlabel:32} {op.name:34} service {fmt_ms(svc.median):>7} / "
                f"{fmt_ms(svc.max):>7} ms   raw {fmt_ms(rw.median):>7} ms   n={svc.n}"
                + (f"   MISMATCH {mismatch}" if mismatch else ""))
        if qlabel.startswith("month") and q.include_cancelled:
            admin = _admin_session(db)
            if admin is not None:
                name = "first page, admin session"
                svc = measure(lambda: apps.list_page(ctx, admin, q, 1), reps=reps, warmup=warmup,
                              budget_s=budget)
                rw = measure(lambda: raw.list_page(q, 1), reps=reps, warmup=warmup,
                             budget_s=budget)
                run.results[(qlabel, name)] = Result(svc, rw)
                say(f"    {qlabel:32} {name:34} service {fmt_ms(svc.median):>7} / "
                    f"{fmt_ms(svc.max):>7} ms   raw {fmt_ms(rw.median):>7} ms   n={svc.n}")
        if qlabel.startswith("period") and q.include_cancelled:
            pages = first.page_count
            run.naive["COUNT(*) over the period"] = measure(
                lambda: raw.naive_count(q), reps=5, warmup=1, budget_s=budget)
            run.naive[f"LIMIT 10 OFFSET middle ({(pages // 2 - 1) * 10:,})"] = measure(
                lambda: raw.naive_page(q, (pages // 2 - 1) * 10), reps=5, warmup=1,
                budget_s=budget)
            run.naive[f"LIMIT 10 OFFSET last ({(pages - 1) * 10:,})"] = measure(
                lambda: raw.naive_page(q, (pages - 1) * 10), reps=5, warmup=1, budget_s=budget)
    return run


# ------------------------------------------------------------------ report
def report(runs: dict[str, Run], dbs: dict[str, dict], info: dict[str, str]) -> int:
    say("")
    say("=" * 100)
    say("List paging with a million applications (SPEC §10): service calls vs raw SQL")
    say("=" * 100)
    say("Machine:")
    print_machine_info(info)
    say("Databases:")
    for kind, d in dbs.items():
        say(f"  {d['label']} {d['version']}: {d['applications']:,} applications of {DEMO_COMPANY}; "
            + (f"seeded in {d['seed']:.1f} s" if d["seed"] is not None else "reused"))
        for note in d["notes"]:
            say(f"    {note}")
        for line in runs[kind].details if kind in runs else []:
            say(f"    {line}")
    kinds = [k for k in ("sqlite", "postgres") if k in runs]
    headers = ["operation (page size 10)"]
    for k in kinds:
        short = "SQLite" if k == "sqlite" else "PG"
        headers += [f"{short} med", f"{short} max", f"{short} raw", f"{short} ratio"]
    headers.append("goal (max < " + ", ".join(
        f"{int(GOAL_MS[k])} ms {'SQLite' if k == 'sqlite' else 'PG'}" for k in kinds) + ")")
    keys: list[tuple[str, str]] = []
    for k in kinds:
        for key in runs[k].results:
            if key not in keys:
                keys.append(key)
    rows: list[Any] = []
    current = None
    fails = 0
    mismatches = 0
    for qlabel, op in keys:
        if qlabel != current:
            rows.append(f"[{qlabel}]")
            current = qlabel
        row: list[Any] = [f"  {op}"]
        verdicts = []
        for k in kinds:
            res = runs[k].results.get((qlabel, op))
            if res is None:
                row += ["-", "-", "-", "-"]
                continue
            row += [fmt_ms(res.service.median), fmt_ms(res.service.max), fmt_ms(res.raw.median),
                    f"{res.service.median / res.raw.median:.1f}x" if res.raw.median else "-"]
            ok = res.service.max < GOAL_MS[k]
            fails += not ok
            if res.mismatch:
                mismatches += 1
            short = "SQLite" if k == "sqlite" else "PG"
            verdicts.append(f"{short} {'PASS' if ok else 'FAIL'}" + (" MISMATCH" if res.mismatch else ""))
        row.append("  ".join(verdicts))
        rows.append(row)
    say("")
    say("Times in ms: median and max of the timed calls (after a warm-up); raw = median of the")
    say("same page through the driver; ratio = service median / raw median.")
    print_table(headers, rows, align="l" + "r" * (len(headers) - 2) + "l")
    short_runs = [(k, key, r.service.n) for k in kinds for key, r in runs[k].results.items()
                  if r.service.n < max(r.service.n for r in runs[k].results.values())]
    if short_runs:
        say(f"  ({len(short_runs)} lines stopped early on the per-operation time budget; "
            f"fewest calls: {min(n for _, _, n in short_runs)})")
    say(f"Verdict: {fails} FAIL of {sum(len(runs[k].results) for k in kinds)} measurements"
        + (f"; {mismatches} service/raw MISMATCH" if mismatches else ""))

    say("")
    say("Reference, not a goal: paging without day_count / keysets (raw SQL, period, all rows)")
    ref_rows = []
    names = []
    for k in kinds:
        for name in runs[k].naive:
            if name not in names:
                names.append(name)
    for name in names:
        row = [f"  {name}"]
        for k in kinds:
            st = runs[k].naive.get(name)
            row += [fmt_ms(st.median) if st else "-", fmt_ms(st.max) if st else "-"]
        ref_rows.append(row)
    ref_headers = ["raw statement"]
    for k in kinds:
        short = "SQLite" if k == "sqlite" else "PG"
        ref_headers += [f"{short} med", f"{short} max"]
    print_table(ref_headers, ref_rows)
    return mismatches


def diagnostics(db: BenchDb, ops: dict[tuple[str, str], Callable[[], Any]], title: str,
                limit: int = 4) -> list[str]:
    """The slowest statement each of ``ops`` runs, with its plan (distinct statements only,
    at most ``limit``). Worked out while the database is open, printed after the table."""
    if not ops:
        return []
    out = ["", f"Diagnostics ({db.label} {db.server_version}): {title}"]
    seen: set[str] = set()
    for (qlabel, op), fn in ops.items():
        sql, params, ms, plan = explain_slowest(db, fn)
        if not sql or sql in seen:
            continue
        if len(seen) >= limit:
            out.append("  (more operations; their statements have the shapes above)")
            break
        seen.add(sql)
        out.append(f"  [{qlabel}] {op}: slowest statement {ms:.1f} ms alone through the driver")
        out.append(f"    SQL:    {sql}")
        out.append(f"    params: {params!r}")
        out.append("    plan:")
        out.extend(f"      {line}" for line in plan)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=DEFAULT_APPLICATIONS,
                        help="applications of M97-00339 to load (default 1,000,000)")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--reuse", action="append", default=[], metavar="PATH_OR_URL",
                        help="use (and keep) this SQLite file / sqlite:/// URL or postgresql:// "
                             "URL; seeds only what is missing (repeatable: one of each)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary SQLite file (its path is printed)")
    parser.add_argument("--explain", action="store_true",
                        help="show the slowest statement and plan of every operation of the "
                             "period searches, not only of failing ones")
    parser.add_argument("--reps", type=int, default=30, help="timed calls per operation (30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls first (3)")
    parser.add_argument("--budget", type=float, default=4.0,
                        help="seconds of timed calls per operation before stopping early "
                             "(at least 5 calls; default 4)")
    args = parser.parse_args(argv)

    sqlite_target = pg_target = None
    for target in args.reuse:
        if target.startswith(("postgresql://", "postgres://")):
            pg_target = target
        else:
            sqlite_target = target

    info = machine_info()
    say("Machine:")
    print_machine_info(info)
    runs: dict[str, Run] = {}
    dbs: dict[str, dict] = {}
    started = time.perf_counter()
    plan: list[tuple[str, Callable]] = []
    if not args.skip_sqlite:
        plan.append(("sqlite", lambda: sqlite_database(args.applications, sqlite_target,
                                                       keep=args.keep)))
    if not args.skip_postgres:
        plan.append(("postgres", lambda: postgres_database(args.applications, pg_target)))
    diag_lines: list[str] = []
    try:
        for kind, open_db in plan:
            say("")
            say(f"{'SQLite' if kind == 'sqlite' else 'PostgreSQL'}:")
            with open_db() as db:
                dbs[kind] = {"label": db.label, "version": db.server_version,
                             "applications": db.applications, "seed": db.seed_seconds,
                             "notes": list(db.notes)}
                t0 = time.perf_counter()
                run = run_paging(db, args.reps, args.warmup, args.budget)
                runs[kind] = run
                say(f"  measured in {time.perf_counter() - t0:.1f} s")
                diag_lines.extend(diagnostics(
                    db, run.failing, "the slowest statement of each failing operation"))
                if args.explain:
                    diag_lines.extend(diagnostics(
                        db, run.explainable, "the slowest statement of each passing operation "
                        "of the period searches", limit=99))
    except Exception:
        traceback.print_exc()
        say("list_paging: error (see above)")
        return 1
    if postgres := dbs.get("postgres"):
        info["postgresql"] = postgres["version"]
    info["load average"] = f"{info['load average']} at the start, {load_average()} at the end"
    mismatches = report(runs, dbs, info)
    for line in diag_lines:
        say(line)
    say("")
    say(f"Total run time {time.perf_counter() - started:.0f} s, finished "
        f"{datetime.now().astimezone():%Y-%m-%d %H:%M:%S %Z}")
    return 2 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
