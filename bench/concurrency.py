"""8 processes writing one company's applications at once (SPEC §10, R-APP-6, issue 6 item 4).

    .venv/bin/python bench/concurrency.py                      # SQLite file and PostgreSQL
    .venv/bin/python bench/concurrency.py --skip-postgres
    .venv/bin/python bench/concurrency.py --processes 8 --ops 200 --seed 7

Each database gets the demo data (``demo.seed``: company M97-00339 with an admin and a
user account and about 60 applications from 30 days ago to 60 days ahead). Then
``--processes`` worker processes (multiprocessing, spawn) each open their own
``AppContext`` (bcrypt_rounds=4, memory mail, confirmation mails on, the real clock),
wait at a barrier, and run ``--ops`` operations as the admin or the user (at random):

    list    list_page / next_page of the hot period (適用日 10 to 40 days ahead, active
            rows, 20 a page); the rows seen become the worker's targets
    new     create on a random day of the hot period
    change  change a row of the last page seen: half the time with the version the list
            showed (a stale screen), half after a fresh get(); new day, ports, 申込者
    late    change a row whose deadline is over (a small share: expected DeadlinePassed)
    cancel  cancel a row of the last page seen, with the version seen

so the first pages of the hot period form a small hot set (20-60 rows) that every
process changes and cancels at once. 申込者 is ``w<worker>-<op>``: every revision row
says which operation wrote it. Every outcome is recorded: success, ConflictError,
DeadlinePassed, ValidationError (typed refusals), anything else (a failure).

Printed: throughput per database (operations per second between the barrier and the
last worker's end), outcomes per operation, latency, then the checks, each PASS/FAIL:

  * every application's revision rows have versions exactly 1..version (no gap, no
    duplicate) and none points to a missing application;
  * revision numbers start at 0, grow by one with each "change" row, stay with a
    "cancel" (the last row), and the application's revision is the last row's;
  * the application's current 適用日, ports, 申込者 and status equal its last revision row;
  * day_count equals a recount of the application table (SELECT ... GROUP BY, what
    bulk.rebuild_day_counts would write; the table itself is left as it is);
  * successful new / change+cancel reported by the workers = new / change+cancel
    revision rows written during the run;
  * no lost update: each success is exactly one revision row written during the run,
    with the same version and the values that call wrote, and each such row belongs
    to exactly one reported success (two winners of one version would collide here);
  * one audit entry per successful write (written in the same transaction);
  * zero integrity errors, zero unhandled exceptions, zero failures other than
    ConflictError, DeadlinePassed and ValidationError.

The exit status is 0 whatever the verdicts (``--strict``: 3 when a check fails), 1 on
an error of the bench itself.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import queue
import random
import re
import statistics
import sys
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEMO_COMPANY,
    BenchDb,
    bench_settings,
    load_average,
    machine_info,
    postgres_database,
    print_machine_info,
    print_table,
    say,
    sqlite_database,
)

OP_KINDS = ("list", "new", "change", "late", "cancel")
# Share of each operation (late = a change of a row past its deadline).
WEIGHTS = {"list": 25, "new": 20, "change": 40, "late": 3, "cancel": 12}
HOT_FROM, HOT_TO = 10, 40  # the hot period: 適用日 this many days ahead (open, within 365)
LATE_FROM, LATE_TO = -30, -1  # rows whose deadline is over (the demo has some)
PAGE_SIZE = 20
OUTCOMES = ("ok", "conflict", "deadline", "refused", "other-typed", "integrity", "unhandled")
EXPECTED = {"ok", "conflict", "deadline", "refused"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# ------------------------------------------------------------------ the worker process
def _session(account: dict, company_id: int, member_no: str, now: datetime):
    from portplus_tui.services.context import Session

    return Session(company_id=company_id, member_no=member_no, role=account["role"],
                   account_id=account["id"], login_id=account["login_id"],
                   name=account["name"], login_at=now, last_activity=now)


def worker_main(spec: dict, barrier, out: "mp.Queue") -> None:
    """Entry point of one worker process: runs the operations, puts its records on ``out``."""
    try:
        result = _run_worker(spec, barrier)
    except BaseException:  # noqa: BLE001 - reported to the parent as a fatal worker error
        result = {"worker": spec["worker"], "records": [], "t0": None, "t1": None,
                  "fatal": traceback.format_exc()}
    out.put(result)


def _run_worker(spec: dict, barrier) -> dict:
    import peewee

    from portplus_tui.core.errors import (
        ConflictError,
        DeadlinePassed,
        PortPlusError,
        ValidationError,
    )
    from portplus_tui.services import applications as apps
    from portplus_tui.services.context import AppContext
    from portplus_tui.services.mail import MemoryBackend

    w = spec["worker"]
    rng = random.Random(spec["seed"] * 1000 + w)
    settings = bench_settings(spec["url"], Path(spec["data_dir"])).replace(mail_on_application=True)
    ctx = AppContext.open(settings, mailer=MemoryBackend(sender=settings.mail_from))
    now = ctx.now()
    sessions = [_session(a, spec["company_id"], spec["member_no"], now) for a in spec["accounts"]]
    today = ctx.today()
    hot = apps.period_query(today + timedelta(days=HOT_FROM), today + timedelta(days=HOT_TO),
                            page_size=PAGE_SIZE, include_cancelled=False)
    late = apps.period_query(today + timedelta(days=LATE_FROM), today + timedelta(days=LATE_TO),
                             page_size=PAGE_SIZE, include_cancelled=False)
    span = HOT_TO - HOT_FROM
    # Connect and warm up before the barrier (reads only: the database does not change).
    page = apps.list_page(ctx, sessions[0], hot, 1)
    late_rows = [r for r in apps.list_page(ctx, sessions[0], late, 1).rows if not r.open]
    kinds = list(WEIGHTS)
    weights = [WEIGHTS[k] for k in kinds]
    records: list[dict] = []

    barrier.wait(timeout=600)
    t0 = time.monotonic()
    for i in range(spec["ops"]):
        kind = rng.choices(kinds, weights)[0]
        if kind == "late" and not late_rows:
            kind = "change"
        session = rng.choice(sessions)
        applicant = f"w{w}-{i}"
        rec = {"worker": w, "i": i, "kind": kind, "actor": session.login_id, "target": None,
               "version": None, "outcome": None, "error": None, "result": None}
        start = time.perf_counter()
        try:
            if kind == "list":
                if page.has_next and rng.random() < 0.3:
                    page = apps.next_page(ctx, session, page)
                else:
                    page = apps.list_page(ctx, session, hot, rng.choice((1, 1, 1, 2, 3)))
                result = None
            elif kind == "new":
                day = hot.start + timedelta(days=rng.randint(0, span))
                result = apps.create(ctx, session, apply_date=day, ports=rng.randint(1, 999),
                                     applicant=applicant)
            else:
                if kind == "late":
                    view = rng.choice(late_rows)
                else:
                    if not page.rows:
                        page = apps.list_page(ctx, session, hot, 1)
                    if not page.rows:
                        raise RuntimeError("the hot period has no active application")
                    view = rng.choice(page.rows)
                    if rng.random() < 0.5:  # a fresh read; else the (possibly stale) list row
                        view = apps.get(ctx, session, view.id)
                rec["target"], rec["version"] = view.id, view.version
                if kind == "cancel":
                    result = apps.cancel(ctx, session, view.id, version=view.version)
                else:
                    day = hot.start + timedelta(days=rng.randint(0, span))
                    result = apps.change(ctx, session, view.id, version=view.version,
                                         apply_date=day, ports=rng.randint(1, 999),
                                         applicant=applicant)
            rec["outcome"] = "ok"
            if result is not None:
                rec["result"] = (result.id, result.version, result.revision,
                                 result.apply_date.isoformat(), result.ports, result.applicant,
                                 result.status)
        except ConflictError as exc:
            rec["outcome"], rec["error"] = "conflict", exc.en
        except DeadlinePassed as exc:
            rec["outcome"], rec["error"] = "deadline", exc.en
        except ValidationError as exc:
            rec["outcome"], rec["error"] = "refused", exc.en
        except PortPlusError as exc:
            rec["outcome"], rec["error"] = "other-typed", repr(exc)
        except peewee.IntegrityError:
            rec["outcome"], rec["error"] = "integrity", traceback.format_exc()
        except Exception:  # noqa: BLE001 - an unhandled exception is what the bench counts
            rec["outcome"], rec["error"] = "unhandled", traceback.format_exc()
        rec["ms"] = (time.perf_counter() - start) * 1000.0
        records.append(rec)
    t1 = time.monotonic()
    ctx.close()
    return {"worker": w, "records": records, "t0": t0, "t1": t1, "fatal": None}


# ------------------------------------------------------------------ the parent
@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class RunResult:
    label: str
    version: str
    processes: int
    ops: int
    seconds: float
    records: list[dict]
    fatal: list[str]
    checks: list[Check] = field(default_factory=list)
    start_rows: int = 0
    end_rows: int = 0

    @property
    def ops_per_s(self) -> float:
        return len(self.records) / self.seconds if self.seconds > 0 else 0.0


def _accounts(db: BenchDb) -> list[dict]:
    from portplus_tui.services import accounts

    views = accounts.list_accounts_for(db.ctx, DEMO_COMPANY)
    chosen = [v for v in views if v.login_id in ("admin@example.com", "user@example.com")]
    if {v.role for v in chosen} != {"admin", "user"}:
        raise RuntimeError(f"the demo company needs an admin and a user account: {views!r}")
    return [{"id": v.id, "login_id": v.login_id, "name": v.name, "role": v.role} for v in chosen]


def _revision_keys(db: BenchDb) -> set[tuple[int, int]]:
    rows = db.execute("SELECT r.application_id, r.version FROM application_revision r "
                      "JOIN application a ON a.id = r.application_id WHERE a.company_id = ?",
                      (db.company_id,))
    return {(int(a), int(v)) for a, v in rows}


def _audit_count(db: BenchDb) -> int:
    return int(db.execute("SELECT COUNT(*) FROM audit_log WHERE company_id = ? AND action LIKE ?",
                          (db.company_id, "application.%"))[0][0])


def run_workers(db: BenchDb, processes: int, ops: int, seed: int) -> RunResult:
    spawn = mp.get_context("spawn")
    barrier = spawn.Barrier(processes + 1)
    out = spawn.Queue()
    base = {"url": db.url, "data_dir": str(Path(db.ctx.settings.resolved_data_dir)),
            "company_id": db.company_id, "member_no": DEMO_COMPANY, "accounts": _accounts(db),
            "ops": ops, "seed": seed}
    before_keys = _revision_keys(db)
    before_audit = _audit_count(db)
    start_rows = int(db.execute("SELECT COUNT(*) FROM application WHERE company_id = ?",
                                (db.company_id,))[0][0])
    procs = [spawn.Process(target=worker_main, args=({**base, "worker": w}, barrier, out),
                           name=f"bench-worker-{w}") for w in range(processes)]
    say(f"  starting {processes} worker processes (spawn) ...")
    for p in procs:
        p.start()
    results: list[dict] = []
    fatal: list[str] = []
    try:
        barrier.wait(timeout=600)  # every worker is connected and warmed up
    except Exception:  # noqa: BLE001 - a worker died before the barrier; its error follows
        fatal.append("the start barrier broke: " + traceback.format_exc(limit=1))
    say(f"  running {processes} x {ops} operations ...")
    deadline = time.monotonic() + 1800
    while len(results) < processes and time.monotonic() < deadline:
        try:
            results.append(out.get(timeout=5))
        except queue.Empty:
            if not any(p.is_alive() for p in procs) and out.empty():
                break
    for p in procs:
        p.join(timeout=30)
        if p.is_alive():
            p.kill()
            p.join()
            fatal.append(f"{p.name} did not finish and was killed")
        elif p.exitcode != 0:
            fatal.append(f"{p.name} exited with {p.exitcode}")
    records = [r for res in results for r in res["records"]]
    fatal.extend(f"worker {res['worker']}:\n{res['fatal']}" for res in results if res["fatal"])
    if len(results) < processes:
        fatal.append(f"only {len(results)} of {processes} workers reported")
    starts = [res["t0"] for res in results if res["t0"] is not None]
    ends = [res["t1"] for res in results if res["t1"] is not None]
    seconds = (max(ends) - min(starts)) if starts and ends else 0.0
    run = RunResult(db.label, db.server_version, processes, ops, seconds, records, fatal,
                    start_rows=start_rows)
    run.checks = verify(db, run, before_keys, before_audit)
    return run


def verify(db: BenchDb, run: RunResult, before_keys: set, before_audit: int) -> list[Check]:
    """The end-of-run checks (see the module docstring), from the database as it is."""
    cid = db.company_id
    checks: list[Check] = []

    def add(name: str, problems: list[str], ok_detail: str = "") -> None:
        detail = ok_detail if not problems else f"{len(problems)} problem(s): " + "; ".join(problems[:5])
        checks.append(Check(name, not problems, detail))

    apps_rows = db.execute("SELECT id, version, revision, apply_date, ports, applicant, status "
                           "FROM application WHERE company_id = ? ORDER BY id", (cid,))
    revs = db.execute(
        "SELECT r.application_id, r.version, r.revision, r.action, r.apply_date, r.ports, "
        "r.applicant, r.status FROM application_revision r JOIN application a "
        "ON a.id = r.application_id WHERE a.company_id = ? ORDER BY r.application_id, r.version",
        (cid,))
    run.end_rows = len(apps_rows)
    by_app: dict[int, list[tuple]] = defaultdict(list)
    for r in revs:
        by_app[int(r[0])].append(r)

    # 1. versions 1..version, no orphans
    problems = []
    for a in apps_rows:
        versions = [int(r[1]) for r in by_app.get(int(a[0]), [])]
        if versions != list(range(1, int(a[1]) + 1)):
            problems.append(f"application {a[0]} version {a[1]}: revision versions {versions[:12]}")
    orphans = int(db.execute("SELECT COUNT(*) FROM application_revision r LEFT JOIN application a "
                             "ON a.id = r.application_id WHERE a.id IS NULL")[0][0])
    if orphans:
        problems.append(f"{orphans} revision row(s) without an application")
    add("revision versions are exactly 1..version, no orphan rows", problems,
        f"{len(apps_rows)} applications, {len(revs)} revision rows")

    # 2. revision numbers
    problems = []
    for a in apps_rows:
        rows = by_app.get(int(a[0]), [])
        expect = 0
        for k, r in enumerate(rows):
            action, revision = r[3], int(r[2])
            if k == 0 and action != "new":
                problems.append(f"application {a[0]}: first row is {action!r}")
            if k > 0 and action == "new":
                problems.append(f"application {a[0]}: a second 'new' row (version {r[1]})")
            if k > 0 and rows[k - 1][3] == "cancel":
                problems.append(f"application {a[0]}: a row after its cancel (version {r[1]})")
            if action == "change":
                expect += 1
            if revision != expect:
                problems.append(f"application {a[0]} version {r[1]} ({action}): revision "
                                f"{revision}, expected {expect}")
        if rows and int(a[2]) != int(rows[-1][2]):
            problems.append(f"application {a[0]}: revision {a[2]}, last row says {rows[-1][2]}")
    add("revision numbers +1 per change, application's = last row's", problems)

    # 3. current fields = last revision row
    problems = []
    for a in apps_rows:
        rows = by_app.get(int(a[0]))
        if not rows:
            continue
        last = rows[-1]
        now_vals = (str(a[3]), int(a[4]), a[5], a[6])
        rev_vals = (str(last[4]), int(last[5]), last[6], last[7])
        if now_vals != rev_vals:
            problems.append(f"application {a[0]}: {now_vals} but last revision {rev_vals}")
    add("current fields equal the last revision row", problems)

    # 4. day_count = recount (not rebuilt: the recount is a SELECT)
    kept = {str(d): (int(x), int(y), int(z)) for d, x, y, z in db.execute(
        "SELECT day, active, cancelled, active_ports FROM day_count WHERE company_id = ?", (cid,))}
    recount = {str(d): (int(x), int(y), int(z)) for d, x, y, z in db.execute(
        "SELECT apply_date, "
        "SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status = 'active' THEN ports ELSE 0 END) "
        "FROM application WHERE company_id = ? GROUP BY apply_date", (cid,))}
    problems = [f"{d}: day_count {v}" for d, v in kept.items() if min(v) < 0]
    nonzero = {d: v for d, v in kept.items() if v != (0, 0, 0)}
    for d in sorted(set(nonzero) | set(recount)):
        if nonzero.get(d, (0, 0, 0)) != recount.get(d, (0, 0, 0)):
            problems.append(f"{d}: day_count {nonzero.get(d)} recount {recount.get(d)}")
    add("day_count equals a recount of application", problems, f"{len(recount)} days")

    # 5-7. the workers' successes against the rows written during the run
    ok = [r for r in run.records if r["outcome"] == "ok" and r["result"] is not None]
    news = [r for r in ok if r["kind"] == "new"]
    writes = [r for r in ok if r["kind"] != "new"]
    new_keys = [(int(r[0]), int(r[1])) for r in revs if (int(r[0]), int(r[1])) not in before_keys]
    rev_by_key = {(int(r[0]), int(r[1])): r for r in revs}
    new_rows = [rev_by_key[k] for k in new_keys]
    n_new_rows = sum(1 for r in new_rows if r[3] == "new")
    n_write_rows = sum(1 for r in new_rows if r[3] in ("change", "cancel"))
    add("successful new = 'new' revision rows written", [] if len(news) == n_new_rows else
        [f"workers report {len(news)}, the table has {n_new_rows}"], f"{len(news)}")
    add("successful change+cancel = change/cancel revision rows written",
        [] if len(writes) == n_write_rows else
        [f"workers report {len(writes)}, the table has {n_write_rows}"], f"{len(writes)}")
    problems = []
    claimed: Counter = Counter()
    for r in ok:
        app_id, version, revision, day, ports, applicant, status = r["result"]
        key = (app_id, version)
        claimed[key] += 1
        row = rev_by_key.get(key)
        expected_action = {"new": "new", "cancel": "cancel"}.get(r["kind"], "change")
        if row is None or key in before_keys:
            problems.append(f"w{r['worker']} op {r['i']} {r['kind']} {key}: no revision row "
                            "written by it (lost update)")
            continue
        if r["kind"] != "new" and version != r["version"] + 1:
            problems.append(f"w{r['worker']} op {r['i']}: passed version {r['version']}, "
                            f"got {version}")
        got = (row[3], int(row[2]), str(row[4]), int(row[5]), row[6], row[7])
        want = (expected_action, revision, day, ports, applicant, status)
        if got != want:
            problems.append(f"w{r['worker']} op {r['i']} {key}: revision row {got}, call wrote {want}")
        if r["kind"] in ("new", "change", "late") and applicant != f"w{r['worker']}-{r['i']}":
            problems.append(f"w{r['worker']} op {r['i']} {key}: 申込者 {applicant!r}")
    problems += [f"{key} won by {n} calls" for key, n in claimed.items() if n > 1]
    problems += [f"revision row {k} ({rev_by_key[k][3]}) written by no reported success"
                 for k in new_keys if k not in claimed]
    add("no lost update: each success is exactly one new revision row and vice versa", problems,
        f"{len(ok)} successful writes, {len(new_keys)} new revision rows")

    audit = _audit_count(db) - before_audit
    add("one audit entry per successful write", [] if audit == len(ok) else
        [f"{audit} audit entries for {len(ok)} successful writes"], f"{audit}")

    # 8. failures
    outcomes = Counter(r["outcome"] for r in run.records)
    add("zero integrity errors", [] if not outcomes["integrity"] else
        [f"{outcomes['integrity']} IntegrityError(s)"])
    add("zero unhandled exceptions",
        ([f"{outcomes['unhandled']} unhandled exception(s)"] if outcomes["unhandled"] else [])
        + [f"worker failed: {f.splitlines()[0]}" for f in run.fatal])
    add("no failure except conflict / deadline / validation refusals",
        [] if not outcomes["other-typed"] else [f"{outcomes['other-typed']} other typed error(s)"])
    expected_total = run.processes * run.ops
    add("every operation ran", [] if len(run.records) == expected_total else
        [f"{len(run.records)} of {expected_total} operations recorded"], f"{len(run.records)}")
    return checks


# ------------------------------------------------------------------ report
def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(run: RunResult) -> None:
    say("")
    say(f"{run.label} {run.version}: {run.processes} processes x {run.ops} operations, "
        f"{len(run.records)} recorded in {run.seconds:.2f} s = {run.ops_per_s:.0f} operations/s "
        f"(applications of the company: {run.start_rows} before, {run.end_rows} after)")
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for r in run.records:
        by_kind[r["kind"]].append(r)
    rows = []
    for kind in OP_KINDS:
        recs = by_kind.get(kind, [])
        if not recs:
            continue
        c = Counter(r["outcome"] for r in recs)
        ms = [r["ms"] for r in recs]
        rows.append((kind, len(recs), *(c[o] for o in OUTCOMES),
                     f"{statistics.median(ms):.1f}", f"{_pct(ms, 0.95):.1f}", f"{max(ms):.0f}"))
    c = Counter(r["outcome"] for r in run.records)
    ms = [r["ms"] for r in run.records] or [0.0]
    rows.append(("all", len(run.records), *(c[o] for o in OUTCOMES),
                 f"{statistics.median(ms):.1f}", f"{_pct(ms, 0.95):.1f}", f"{max(ms):.0f}"))
    print_table(("operation", "n", *OUTCOMES, "median ms", "p95 ms", "max ms"), rows)
    refusals = Counter((r["kind"], r["outcome"], _DATE.sub("YYYY-MM-DD", str(r["error"])))
                       for r in run.records if r["outcome"] in ("deadline", "refused", "other-typed"))
    if refusals:
        say("  typed refusals:")
        for (kind, outcome, error), n in refusals.most_common():
            say(f"    {n:5d}  {kind:7s} {outcome:11s} {error}")
    failures = [r for r in run.records if r["outcome"] not in EXPECTED]
    for r in failures[:3]:
        say(f"  failure: worker {r['worker']} op {r['i']} {r['kind']} target {r['target']} "
            f"version {r['version']} ({r['actor']}):")
        for line in str(r["error"]).rstrip().splitlines()[-12:]:
            say(f"    {line}")
    for f in run.fatal[:3]:
        say("  worker error:")
        for line in f.rstrip().splitlines()[-12:]:
            say(f"    {line}")
    say("  checks:")
    for chk in run.checks:
        say(f"    {'PASS' if chk.ok else 'FAIL'}  {chk.name}" + (f"  ({chk.detail})" if chk.detail else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=8, help="worker processes (8)")
    parser.add_argument("--ops", type=int, default=200, help="operations per process (200)")
    parser.add_argument("--seed", type=int, default=6, help="random seed of the workers (6)")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--strict", action="store_true", help="exit 3 when a check fails")
    args = parser.parse_args(argv)

    info = machine_info()
    say("Machine:")
    print_machine_info(info)
    say(f"Workload: {args.processes} processes x {args.ops} operations on {DEMO_COMPANY}; "
        f"mix {', '.join(f'{k} {v}%' for k, v in WEIGHTS.items())}; hot period 適用日 "
        f"+{HOT_FROM}..+{HOT_TO} days, {PAGE_SIZE} a page; seed {args.seed}")
    started = time.perf_counter()
    plan = []
    if not args.skip_sqlite:
        plan.append(("sqlite", lambda: sqlite_database(1)))
    if not args.skip_postgres:
        plan.append(("postgres", lambda: postgres_database(1)))
    runs: list[RunResult] = []
    try:
        for kind, open_db in plan:
            say("")
            say(f"{'SQLite' if kind == 'sqlite' else 'PostgreSQL'}:")
            with open_db() as db:
                for note in db.notes:
                    say(f"  {note}")
                run = run_workers(db, args.processes, args.ops, args.seed)
                runs.append(run)
                report(run)
    except Exception:
        traceback.print_exc()
        say("concurrency: error (see above)")
        return 1
    say("")
    say("Summary:")
    print_table(("database", "ops/s", "seconds", "ok", "conflict", "refusals", "failures", "checks"),
                [(r.label, f"{r.ops_per_s:.0f}", f"{r.seconds:.2f}",
                  sum(1 for x in r.records if x["outcome"] == "ok"),
                  sum(1 for x in r.records if x["outcome"] == "conflict"),
                  sum(1 for x in r.records if x["outcome"] in ("deadline", "refused")),
                  sum(1 for x in r.records if x["outcome"] not in EXPECTED) + len(r.fatal),
                  f"{sum(c.ok for c in r.checks)}/{len(r.checks)} PASS") for r in runs])
    failed = [c for r in runs for c in r.checks if not c.ok]
    say(f"Goal (zero lost updates, integrity errors, unhandled exceptions): "
        f"{'PASS' if not failed else 'FAIL'}")
    say(f"load average {info['load average']} at the start, {load_average()} at the end; "
        f"total run time {time.perf_counter() - started:.0f} s, finished "
        f"{datetime.now().astimezone():%Y-%m-%d %H:%M:%S %Z}")
    return 3 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
