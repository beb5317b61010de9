"""The change feed (issue 15): how long from B's commit to A's screen showing it, and
what a watching session costs while nothing happens.

Latency. 1 and 10 watching sessions, each a process of its own (as over SSH or in a
browser: one app per session), each a headless app (Textual's ``run_test``) logged in
as the demo admin with the list of one day open. The main process is session B: it
creates an application on that day through the services, notes the monotonic time
after the commit, and each watcher notes the monotonic time (the same clock across
processes on Linux) at the first Pilot poll that finds the new row in its table after
the refresh, i.e. the update on screen. Latency = the watcher's time - B's time.

Idle CPU. One watching session with the list open, nothing written, for
``--idle-seconds``: the CPU time of its process (user + system, from /proc) as a share
of one core, with the feed on and with ``live = false``.

    .venv/bin/python bench/live.py [--changes 20] [--idle-seconds 60] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402
    DEMO_ADMIN,
    TUI_SIZE,
    machine_info,
    postgres_database,
    print_machine_info,
    print_table,
    say,
    sqlite_database,
    until,
)


# ------------------------------------------------------------------ a watching session
async def watch(url: str, data_dir: str, day: str, live: bool, idle: float) -> None:
    """The child process: log in, list ``day``, then report each new row seen (or, with
    ``idle``, stay idle that long and report the CPU time used)."""
    from bench._common import bench_settings, open_list
    from portplus_tui.ui.app import PortPlusApp

    settings = bench_settings(url, Path(data_dir)).replace(live=live)
    app = PortPlusApp(settings)
    async with app.run_test(size=TUI_SIZE) as pilot:
        pane = await open_list(app, pilot)
        pane.run_query(lambda q: q.period_query(day, day, page_size=100, include_cancelled=True))
        await until(app, pilot, lambda: pane.page is not None and pane.page.query.start.isoformat() == day,
                    "the day's list")
        seen = {view.number for view in pane.rows}
        print(json.dumps({"ready": True}), flush=True)
        if idle:
            await until(app, pilot, lambda: True, "settle")
            before = _cpu_seconds()
            start = time.monotonic()
            while time.monotonic() - start < idle:
                await asyncio.sleep(0.5)  # the app idles; this task only waits
            used = _cpu_seconds() - before
            print(json.dumps({"cpu": used, "wall": time.monotonic() - start}), flush=True)
            return
        while True:
            await pilot.pause()
            new = [view.number for view in pane.rows if view.number not in seen]
            if new:
                at = time.monotonic()
                for number in new:
                    seen.add(number)
                    print(json.dumps({"seen": number, "at": at}), flush=True)


def _cpu_seconds() -> float:
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


# ------------------------------------------------------------------ the main process
def open_day(ctx) -> str:
    """A day on which the demo admin may still apply (a business day well ahead)."""
    from portplus_tui.services import applications as apps
    from portplus_tui.services import auth

    session = auth.login(ctx, *DEMO_ADMIN).session
    day = ctx.today() + timedelta(days=14)
    for _ in range(30):
        if apps.deadline_for(ctx, session, day)[1]:
            return day.isoformat()
        day += timedelta(days=1)
    raise RuntimeError("no open day found")


def start_watchers(n: int, url: str, data_dir: Path, day: str, *, live: bool = True,
                   idle: float = 0.0) -> list[subprocess.Popen]:
    procs = []
    for _ in range(n):
        procs.append(subprocess.Popen(
            [sys.executable, __file__, "--watcher", url, str(data_dir), day,
             "--live" if live else "--no-live", "--idle", str(idle)],
            stdout=subprocess.PIPE, text=True, cwd=ROOT))
    for proc in procs:
        line = json.loads(proc.stdout.readline() or "{}")
        if not line.get("ready"):
            raise RuntimeError("a watcher did not start")
    return procs


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(10)


def latency(bench, watchers: int, changes: int) -> list[float]:
    from portplus_tui.services import applications as apps
    from portplus_tui.services import auth

    ctx = bench.ctx
    day = open_day(ctx)
    procs = start_watchers(watchers, bench.url, Path(ctx.settings.data_dir), day)
    session = auth.login(ctx, "M97-00339", "user@example.com", "demo-user-1").session
    out: list[float] = []
    try:
        for _ in range(changes):
            made = apps.create(ctx, session, apply_date=day, ports="2")
            committed = time.monotonic()
            for proc in procs:
                while True:
                    line = json.loads(proc.stdout.readline())
                    if line.get("seen") == made.number:
                        out.append((line["at"] - committed) * 1000)
                        break
    finally:
        stop(procs)
    return out


def idle_cpu(bench, seconds: float, live: bool) -> float:
    ctx = bench.ctx
    day = open_day(ctx)
    procs = start_watchers(1, bench.url, Path(ctx.settings.data_dir), day, live=live,
                           idle=seconds)
    line = json.loads(procs[0].stdout.readline())
    procs[0].wait(30)
    return 100 * line["cpu"] / line["wall"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--watchers", type=int, nargs="*", default=[1, 10])
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--watcher", nargs=3, metavar=("URL", "DATA_DIR", "DAY"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--live", dest="live", action="store_true", default=True,
                        help=argparse.SUPPRESS)
    parser.add_argument("--no-live", dest="live", action="store_false", help=argparse.SUPPRESS)
    parser.add_argument("--idle", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.watcher:
        asyncio.run(watch(*args.watcher, live=args.live, idle=args.idle))
        return

    print_machine_info(machine_info())
    plan = [("sqlite", lambda: sqlite_database(1_000))]
    if not args.skip_postgres:
        plan.append(("postgres", lambda: postgres_database(1_000)))
    rows: list = []
    for _kind, make in plan:
        with make() as bench:
            for n in args.watchers:
                ms = latency(bench, n, args.changes)
                ms.sort()
                p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
                rows.append((bench.label, f"latency, {n} watching", f"{statistics.median(ms):.0f} ms",
                             f"{p95:.0f} ms", f"{max(ms):.0f} ms"))
                say(f"  {bench.label}: {n} watching: median {statistics.median(ms):.0f} ms")
            if args.idle_seconds:
                on = idle_cpu(bench, args.idle_seconds, live=True)
                off = idle_cpu(bench, args.idle_seconds, live=False)
                rows.append((bench.label, f"idle CPU over {args.idle_seconds:.0f} s",
                             f"feed on {on:.2f} %", f"feed off {off:.2f} %", "of one core"))
    print_table(("database", "what", "median", "p95", "max"), rows)


if __name__ == "__main__":
    main()
