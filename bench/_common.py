"""Shared helpers for the benchmarks in bench/ (SPEC §10).

    from _common import ...            # a bench script sits next to this file

What is here:

* ``REPO_ROOT`` on ``sys.path`` (so ``portplus_tui`` and ``tests.pg`` import from the
  working tree even without ``pip install -e``);
* ``sqlite_database(n)`` / ``postgres_database(n)``: context managers that give a
  ``BenchDb`` (an ``AppContext`` plus what a bench needs to run raw SQL) holding the demo
  companies and at least ``n`` applications of company M97-00339, loaded with
  ``demo.seed`` (bulk load). PostgreSQL runs on a throwaway server started with
  ``tests/pg.py`` (as the ``postgres`` user when run as root), unless a URL is given;
* ``measure(fn)``: warm-up, then repeated timing with a per-operation time budget;
  ``Stats`` with median / max / p95 in milliseconds;
* ``machine_info()``, ``print_table()``, ``step()`` (prints how long a setup step took);
* ``open_period_list(app, pilot, ctx)``: the Pilot steps of the TUI benches (log in as
  the demo admin, ポートプラス, the two-year 期間検索, focus on the table); ``until``.

Settings used for bench databases: bcrypt_rounds=4 (seeding hashes three demo passwords;
their cost is not what a bench measures), mail_backend=memory, everything else default.
"""

from __future__ import annotations

import gc
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from portplus_tui.config import Settings  # noqa: E402
from portplus_tui.services.context import AppContext  # noqa: E402

DEMO_COMPANY = "M97-00339"
DEFAULT_APPLICATIONS = 1_000_000


# ------------------------------------------------------------------ output
def say(*parts: object) -> None:
    print(*parts, flush=True)


@contextmanager
def step(label: str) -> Iterator[dict]:
    """Print ``label``, run the block, print how long it took. The yielded dict gets
    ``seconds`` when the block ends."""
    out: dict = {}
    say(f"  {label} ...")
    start = time.perf_counter()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - start
    say(f"  {label}: {out['seconds']:.1f} s")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]],
                align: str | None = None) -> None:
    """A plain text table. ``align``: one of 'l'/'r' per column (default: first column
    left, others right). A row that is a single string is printed as a section line."""
    cells = [[str(h) for h in headers]]
    sections: dict[int, str] = {}
    for row in rows:
        if isinstance(row, str):
            sections[len(cells)] = row
            continue
        cells.append(["" if c is None else str(c) for c in row])
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    align = align or ("l" + "r" * (len(headers) - 1))

    def fmt(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if a == "l" else c.rjust(w)
                         for c, w, a in zip(row, widths, align)).rstrip()

    rule = "-" * len(fmt(["" for _ in headers]).ljust(sum(widths) + 2 * (len(widths) - 1)))
    say(fmt(cells[0]))
    say(rule)
    for i, row in enumerate(cells[1:], start=1):
        if i in sections:
            say(sections[i])
        say(fmt(row))
    say(rule)


def machine_info(extra: dict[str, str] | None = None) -> dict[str, str]:
    """CPU model, cores, memory, OS, Python, SQLite and library versions, date."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    info = {
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cpu": cpu,
        "cores": f"{os.cpu_count()} logical"
                 + (f", {len(os.sched_getaffinity(0))} usable" if hasattr(os, "sched_getaffinity") else ""),
        "memory": mem or "unknown",
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "sqlite": sqlite3.sqlite_version,
    }
    for name in ("peewee", "psycopg"):
        try:
            module = __import__(name)
            info[name] = getattr(module, "__version__", "?")
        except ImportError:
            info[name] = "not installed"
    info["load average"] = load_average()
    info.update(extra or {})
    return info


def load_average() -> str:
    """1/5/15-minute load averages: other work on the machine skews timings."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def print_machine_info(info: dict[str, str]) -> None:
    width = max(len(k) for k in info)
    for key, value in info.items():
        say(f"  {key.ljust(width)}  {value}")


# ------------------------------------------------------------------ timing
@dataclass
class Stats:
    samples_ms: list[float]

    @property
    def n(self) -> int:
        return len(self.samples_ms)

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def max(self) -> float:
        return max(self.samples_ms)

    @property
    def min(self) -> float:
        return min(self.samples_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(fn: Callable[[], Any], *, reps: int = 30, warmup: int = 3,
            budget_s: float | None = 5.0, min_reps: int = 5) -> Stats:
    """Call ``fn`` ``warmup`` times untimed, then up to ``reps`` times timed (each call on
    its own, perf_counter). Stops early, after at least ``min_reps``, once the timed calls
    have taken ``budget_s`` seconds (so a slow operation cannot blow up the run time)."""
    for _ in range(warmup):
        fn()
    gc.collect()
    samples: list[float] = []
    spent = 0.0
    for i in range(reps):
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        samples.append(elapsed * 1000.0)
        spent += elapsed
        if budget_s is not None and i + 1 >= min_reps and spent >= budget_s:
            break
    return Stats(samples)


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:.0f}"


# ------------------------------------------------------------------ databases
@dataclass
class BenchDb:
    """A seeded database and what benches need to query it (through the service or raw)."""

    kind: str  # "sqlite" | "postgres"
    url: str
    ctx: AppContext
    company_id: int
    applications: int  # rows of the demo company (active + cancelled)
    seed_seconds: float | None  # None: reused as it was
    server_version: str
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return "SQLite" if self.kind == "sqlite" else "PostgreSQL"

    @property
    def placeholder(self) -> str:
        return "?" if self.kind == "sqlite" else "%s"

    def raw_connection(self):
        """The driver connection under the context's peewee database (sqlite3 or psycopg),
        so raw SQL shares the same session, cache and settings as the service calls."""
        return self.ctx.db.connection()

    def sql(self, text: str) -> str:
        """Write queries with ``?``; this gives the driver's placeholder."""
        return text if self.kind == "sqlite" else text.replace("?", "%s")

    def param(self, value: Any) -> Any:
        """A query parameter as the driver takes it (SQLite stores dates as ISO text)."""
        if self.kind == "sqlite" and isinstance(value, date):
            return value.isoformat()
        return value

    def execute(self, text: str, params: Sequence[Any] = ()) -> list[tuple]:
        cur = self.raw_connection().cursor()
        try:
            cur.execute(self.sql(text), [self.param(p) for p in params])
            return cur.fetchall()
        finally:
            cur.close()


def bench_settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, database_url=database_url, bcrypt_rounds=4,
                    mail_backend="memory", mail_on_application=False).validate()


def demo_company_count(ctx: AppContext) -> tuple[int | None, int]:
    """(company id or None, its number of applications, from the day_count table)."""
    import peewee

    from portplus_tui.store import models as m

    company = m.Company.get_or_none(m.Company.member_no == DEMO_COMPANY)
    if company is None:
        return None, 0
    total = (
        m.DayCount.select(peewee.fn.COALESCE(peewee.fn.SUM(m.DayCount.active + m.DayCount.cancelled), 0))
        .where(m.DayCount.company == company.id)
        .scalar()
    )
    return company.id, int(total or 0)


def _prepare(kind: str, url: str, data_dir: Path, applications: int, server_version: str,
             vacuum: bool = True) -> BenchDb:
    from portplus_tui.services import demo

    ctx = AppContext.open(bench_settings(url, data_dir), migrate=True)
    company_id, have = demo_company_count(ctx)
    seconds = None
    notes: list[str] = []
    if have < applications:
        missing = applications - have
        with step(f"{kind}: seeding {missing:,} applications with demo.seed") as took:
            demo.seed(ctx, applications=missing)
        seconds = took["seconds"]
        company_id, have = demo_company_count(ctx)
        if kind == "postgres" and vacuum:
            # A freshly COPYed table has no visibility map or hint bits yet; autovacuum
            # would start on it in the middle of the measurements. Do it now, timed apart.
            with step("postgres: VACUUM ANALYZE after the load (not part of seeding)") as vac:
                ctx.db.execute_sql("VACUUM ANALYZE")
            notes.append(f"VACUUM ANALYZE after seeding: {vac['seconds']:.1f} s")
    else:
        say(f"  {kind}: reusing {have:,} applications of {DEMO_COMPANY} ({url})")
    assert company_id is not None
    return BenchDb(kind, url, ctx, company_id, have, seconds, server_version, notes)


@contextmanager
def sqlite_database(applications: int = DEFAULT_APPLICATIONS, path: str | Path | None = None,
                    keep: bool = False) -> Iterator[BenchDb]:
    """A SQLite file with the demo data and at least ``applications`` applications.

    ``path`` (a file path or a ``sqlite:///`` URL): use that file, seeding only what is
    missing, and keep it. Without it: a new temporary file, removed afterwards unless
    ``keep``."""
    tmp = Path(tempfile.mkdtemp(prefix="portplus-bench-"))
    if path is None:
        file = tmp / "bench.db"
    else:
        text = str(path)
        file = Path(text[len("sqlite:///"):]) if text.startswith("sqlite:///") else Path(text)
        keep = True
    url = f"sqlite:///{file.resolve()}"
    bench = None
    try:
        bench = _prepare("sqlite", url, tmp, applications, sqlite3.sqlite_version)
        bench.notes.append(f"file {file.resolve()} ({file.stat().st_size / 2**20:.0f} MiB)"
                           + (", kept" if keep else ", removed afterwards"))
        yield bench
    finally:
        if bench is not None:
            bench.ctx.close()
        if not keep and path is None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{file}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)


def _pg_server_version(ctx: AppContext) -> str:
    row = ctx.db.execute_sql("SELECT current_setting('server_version')").fetchone()
    return str(row[0])


@contextmanager
def postgres_database(applications: int = DEFAULT_APPLICATIONS,
                      url: str | None = None) -> Iterator[BenchDb]:
    """A PostgreSQL database with the demo data and at least ``applications`` applications.

    ``url``: use that database, seeding only what is missing. Without it: a throwaway
    server (tests/pg.py: initdb into a temporary directory, fsync off, trust auth on
    127.0.0.1), stopped and removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="portplus-bench-"))
    try:
        if url is not None:
            bench = _prepare("postgres", url, tmp, applications, "?")
            bench.server_version = _pg_server_version(bench.ctx)
            try:
                yield bench
            finally:
                bench.ctx.close()
            return
        from tests import pg

        say("  postgres: starting a throwaway server (tests/pg.py) ...")
        start = time.perf_counter()
        with pg.running_server() as server:
            say(f"  postgres: server on {server.host}:{server.port} up in "
                f"{time.perf_counter() - start:.1f} s")
            db_url = server.create_database("portplus_bench")
            bench = _prepare("postgres", db_url, tmp, applications, "?")
            bench.server_version = _pg_server_version(bench.ctx)
            bench.notes.append("throwaway server: fsync=off, synchronous_commit=off, "
                               "full_page_writes=off, other settings default")
            try:
                yield bench
            finally:
                bench.ctx.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------ the TUI benches
TUI_SIZE = (120, 36)
DEMO_ADMIN = (DEMO_COMPANY, "admin@example.com", "demo-admin-1")


async def until(app: Any, pilot: Any, check: Callable[[], bool], what: str,
                limit_s: float = 30.0) -> None:
    """Let the app run until ``check()`` holds (bounded by a monotonic deadline)."""
    deadline = time.monotonic() + limit_s
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await app.workers.wait_for_complete()
        await pilot.pause()


async def open_list(app: Any, pilot: Any) -> Any:
    """Types the demo admin's login and opens ポートプラス (F3); returns the PortPlusPane
    once its first page is shown."""
    from portplus_tui.ui.panes.portplus import PortPlusPane
    from portplus_tui.ui.screens.main import MainScreen

    await until(app, pilot, lambda: app.focused is not None, "the login form")
    member, login_id, password = DEMO_ADMIN
    for text in (member, login_id):
        await pilot.press(*text, "tab")
    await pilot.press(*password, "enter")
    await until(app, pilot, lambda: isinstance(app.screen, MainScreen), "the main screen")
    await pilot.press("f3")
    pane = app.screen.query_one(PortPlusPane)
    await until(app, pilot, lambda: pane.page is not None, "the first list")
    return pane


async def open_period_list(app: Any, pilot: Any, ctx: AppContext, days: int = 400) -> Any:
    """Types the demo admin's login, opens ポートプラス (F3), searches the period of
    ``days`` either side of today (期間検索: the demo's two years of applications) and
    puts the focus on the table. Returns the PortPlusPane."""
    from datetime import timedelta

    pane = await open_list(app, pilot)
    today = ctx.today()
    start, end = today - timedelta(days=days), today + timedelta(days=days)
    pane.query_one("#pp-from").value = start.isoformat()
    pane.query_one("#pp-to").value = end.isoformat()
    pane.search_period()
    await until(app, pilot, lambda: pane.page is not None and pane.page.query.start == start,
                "the period")
    pane.query_one("#pp-table").focus()
    await pilot.pause()
    return pane
