"""Resident memory of a session paging through the list: 1,000 against 1,000,000 rows.

    .venv/bin/python bench/memory.py                            # builds both databases (temp)
    .venv/bin/python bench/memory.py --reuse-dir /tmp/pp        # pp1k.db / pp1m.db there, kept
    .venv/bin/python bench/memory.py --pages 200 --runs 3
    .venv/bin/python bench/memory.py --large 100000             # a smaller "large" case
    .venv/bin/python bench/memory.py --jumps 500                # then 500 random page jumps

SPEC §10 (issue 6 point 3): with 1,000,000 applications in one company, resident memory
stays within 1.2x of a 1,000-row database. Two SQLite databases hold the demo data
(``demo.seed``: company M97-00339 with about 1,000 and 1,000,000 applications). Each
case runs in its own fresh Python process (so peaks do not mix; runs alternate small,
large, small, ...), which drives the real app headless with Pilot at 120x36, as
bench/tui_paging.py does: logs in as the demo admin, opens ポートプラス (F3), searches the
period over the two years of applications, then turns ``--pages`` pages forward with
PageDown (Home when the last page is reached: the 1,000-row list has 106 pages), and
every 50 pages End, Home and the four 表示数 (10 -> 20 -> 50 -> 100 -> 10); with
``--jumps N`` then N jumps to random pages (``go_to_page``, what a click on a page number
does): the widest reach into the database a session can have, which is what fills
SQLite's page cache.

Reported per case: the peak resident set of the process (``getrusage(RUSAGE_SELF)
.ru_maxrss``), and from /proc/self/status after the paging, with the session still open,
VmRSS (resident now) and VmHWM (peak). Also: the resident set before the paging, Python
objects tracked by the garbage collector, SQLite's own heap (``sqlite3_memory_used`` /
``_highwater``, when the library can be reached with ctypes) and the table's render
caches. Verdict: peak(1M) / peak(1k) against 1.2, on the medians of ``--runs``.
Exit status 0 whatever the verdict (1 on an error).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    TUI_SIZE,
    load_average,
    machine_info,
    open_period_list,
    print_machine_info,
    print_table,
    say,
    sqlite_database,
    until,
)

GOAL_RATIO = 1.2
SMALL, LARGE = 1_000, 1_000_000
MARK = "MEMORY-RESULT "


# ------------------------------------------------------------------ child: one case
def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _sqlite_heap() -> tuple[int, int] | None:
    """(in use, high-water) bytes of SQLite's allocator in this process, or None."""
    try:
        import ctypes
        import ctypes.util
        import sqlite3  # noqa: F401 - loads the library _sqlite3 is linked against

        name = ctypes.util.find_library("sqlite3")
        lib = ctypes.CDLL(name) if name else None
        if lib is None:
            return None
        lib.sqlite3_memory_used.restype = ctypes.c_int64
        lib.sqlite3_memory_highwater.restype = ctypes.c_int64
        lib.sqlite3_memory_highwater.argtypes = [ctypes.c_int]
        if lib.sqlite3_libversion_number() != sqlite3.sqlite_version_info[0] * 1_000_000 \
                + sqlite3.sqlite_version_info[1] * 1000 + sqlite3.sqlite_version_info[2]:
            return None  # another copy of the library: its counters would say nothing
        return int(lib.sqlite3_memory_used()), int(lib.sqlite3_memory_highwater(0))
    except (OSError, AttributeError):
        return None


async def _session(bench, pages: int, jumps: int) -> dict:
    import gc
    import random

    from portplus_tui.ui.app import PortPlusApp

    app = PortPlusApp(bench.ctx.settings, ctx=bench.ctx)
    out: dict = {}
    async with app.run_test(size=TUI_SIZE) as pilot:
        pane = await open_period_list(app, pilot, bench.ctx)
        table = pane.query_one("#pp-table")
        out["list_total"] = pane.page.total
        out["list_pages"] = pane.page.page_count
        out["rss_before_kib"] = _status_kib("VmRSS")

        async def turn(key: str) -> None:
            before = pane.page
            await pilot.press(key)
            await until(app, pilot, lambda: pane.page is not before, key)

        turns = 0
        started = time.perf_counter()
        for number in range(1, pages + 1):
            await turn("home" if not pane.page.has_next else "pagedown")
            turns += 1
            if number % 50 == 0:
                for key in ("end", "home", "p", "p", "p", "p"):
                    await turn(key)
                    turns += 1
        assert pane.page.query.page_size == 10
        rng = random.Random(5)
        for _ in range(jumps):  # what a click on a page number does, to any page
            before = pane.page
            pane.go_to_page(rng.randint(1, pane.page.page_count))
            await until(app, pilot, lambda: pane.page is not before, "a jump")
            turns += 1
        await app.workers.wait_for_complete()
        await pilot.pause()
        out["seconds"] = round(time.perf_counter() - started, 1)
        out["turns"] = turns
        out["rss_after_kib"] = _status_kib("VmRSS")
        out["hwm_kib"] = _status_kib("VmHWM")
        out["gc_objects"] = len(gc.get_objects()) + gc.get_freeze_count()
        out["table_caches"] = {name: len(getattr(table, name)._cache)
                               for name in ("_row_render_cache", "_cell_render_cache",
                                            "_line_cache", "_row_renderable_cache")
                               if hasattr(getattr(table, name, None), "_cache")}
        out["threads"] = __import__("threading").active_count()
    out["sqlite_heap"] = _sqlite_heap()
    out["peak_kib"] = _peak_kib()
    return out


def child(path: str, applications: int, pages: int, jumps: int) -> int:
    import asyncio

    with sqlite_database(applications, path=path) as bench:
        if bench.seed_seconds:
            raise SystemExit("the child found a database short of applications")
        result = asyncio.run(_session(bench, pages, jumps))
        result["applications"] = bench.applications
    print(MARK + json.dumps(result), flush=True)
    return 0


# ------------------------------------------------------------------ parent
def run_case(path: Path, applications: int, pages: int, jumps: int) -> dict:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(path),
         "--applications", str(applications), "--pages", str(pages), "--jumps", str(jumps)],
        capture_output=True, text=True, timeout=1800)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(MARK)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"the case {path.name} failed (exit {proc.returncode}):\n"
                           + proc.stdout[-2000:] + proc.stderr[-4000:])
    result = json.loads(lines[-1][len(MARK):])
    result["load"] = load_average()
    return result


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuse-dir", metavar="DIR", default=None,
                        help="keep the databases there (pp1k.db, pp1m.db; seeded if short)")
    parser.add_argument("--small", type=int, default=SMALL,
                        help=f"applications of the small case (default {SMALL:,})")
    parser.add_argument("--large", type=int, default=LARGE,
                        help=f"applications of the large case (default {LARGE:,})")
    parser.add_argument("--pages", type=int, default=200, help="page turns (default 200)")
    parser.add_argument("--jumps", type=int, default=0,
                        help="then that many jumps to random pages (default 0)")
    parser.add_argument("--runs", type=int, default=2,
                        help="processes per case, alternating (default 2)")
    parser.add_argument("--child", metavar="DB", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--applications", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.applications, args.pages, args.jumps)

    say("Port Plus TUI: resident memory while paging, 1k against 1M rows (bench/memory.py)")
    print_machine_info(machine_info({"terminal": "120x36 headless (Pilot)"}))
    temp = None
    if args.reuse_dir:
        folder = Path(args.reuse_dir)
        folder.mkdir(parents=True, exist_ok=True)
    else:
        temp = tempfile.TemporaryDirectory(prefix="portplus-memory-")
        folder = Path(temp.name)
    cases = [("1k", args.small, folder / ("pp1k.db" if args.small == SMALL
                                          else f"pp{args.small}.db")),
             ("1M", args.large, folder / ("pp1m.db" if args.large == LARGE
                                          else f"pp{args.large}.db"))]
    results: dict[str, list[dict]] = {label: [] for label, _, _ in cases}
    try:
        for label, count, path in cases:  # seeded here, measured in fresh processes
            with sqlite_database(count, path=path) as bench:
                say(f"  {label}: {bench.applications:,} applications in {path} "
                    f"({path.stat().st_size / 2**20:.0f} MiB)")
        for run in range(args.runs):
            for label, count, path in cases:
                say(f"  run {run + 1}/{args.runs}: {label} ({args.pages} page turns"
                    + (f", {args.jumps} jumps" if args.jumps else "") + ") ...")
                results[label].append(run_case(path, count, args.pages, args.jumps))
    except Exception as exc:  # noqa: BLE001 - a bench reports and exits 1
        say(f"error: {type(exc).__name__}: {exc}")
        return 1
    finally:
        if temp is not None:
            temp.cleanup()

    rows = []
    for label, _, _ in cases:
        for number, r in enumerate(results[label], start=1):
            heap = r.get("sqlite_heap")
            rows.append((f"{label} #{number}", f"{r['applications']:,}", r["turns"],
                         mib(r["rss_before_kib"]), mib(r["peak_kib"]), mib(r["hwm_kib"]),
                         mib(r["rss_after_kib"]),
                         f"{heap[0] / 2**20:.1f} / {heap[1] / 2**20:.1f}" if heap else "-",
                         f"{r['gc_objects']:,}", r["load"]))
    say("")
    say("resident memory in MiB (ru_maxrss = VmHWM: the peak; VmRSS: after the paging,")
    say("session open; sqlite: SQLite's heap in use / high-water)")
    print_table(("case", "applications", "turns", "before", "peak ru_maxrss", "VmHWM",
                 "VmRSS after", "sqlite MiB", "gc objects", "load average"), rows)
    peak = {label: statistics.median(r["peak_kib"] for r in results[label])
            for label, _, _ in cases}
    after = {label: statistics.median(r["rss_after_kib"] for r in results[label])
             for label, _, _ in cases}
    ratio = peak["1M"] / peak["1k"]
    worst = max(r["peak_kib"] for r in results["1M"]) / min(r["peak_kib"] for r in results["1k"])
    say("")
    say(f"peak 1M / 1k (medians of {args.runs}): {mib(peak['1M'])} / {mib(peak['1k'])} MiB = "
        f"{ratio:.3f}   (worst pair {worst:.3f})   "
        f"goal <= {GOAL_RATIO}: {'PASS' if ratio <= GOAL_RATIO else 'FAIL'}")
    say(f"VmRSS after 1M / 1k: {mib(after['1M'])} / {mib(after['1k'])} MiB = "
        f"{after['1M'] / after['1k']:.3f}")
    caches = results["1M"][-1].get("table_caches")
    if caches:
        say("table render caches after the run (1M): "
            + ", ".join(f"{k} {v}" for k, v in caches.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
