"""Time of a password-reset request (``auth.request_reset``) by case: a live account,
an unknown account of a known company, an unknown member number, an expired account,
a throttled request (issue 11 finding 10). Prints medians; asserts nothing.

The service runs the same statements in every case (tests/services/
test_sec_reset_same_work.py checks that by counting them); this bench shows what is
left of the difference in time. The mail of the live case goes to a background
thread, so its delivery is not part of the time (memory backend here). Between timed
calls the live account's tokens are deleted (untimed), so it is never throttled.

    .venv/bin/python bench/reset_timing.py [--reps 300] [--postgres]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import bench_settings, fmt_ms, machine_info, print_machine_info, print_table  # noqa: E402
from portplus_tui.services import accounts, auth, companies  # noqa: E402
from portplus_tui.services.context import AppContext  # noqa: E402
from portplus_tui.store import models as m  # noqa: E402

MEMBER = "M97-00339"


def seed(ctx: AppContext) -> None:
    companies.add_company(ctx, MEMBER, name="Bench Co", address="東京都", ports=10)
    for login_id in ("live@example.com", "old@example.com", "busy@example.com"):
        accounts.add_account(ctx, MEMBER, login_id, name="Bench", role="admin",
                             department="Bench", expires="2099-12-31", password="bench-pass-1")
    m.Account.update(expires=date(2000, 1, 1)).where(
        m.Account.login_key == "old@example.com").execute()


def run(ctx: AppContext, reps: int) -> list[list[str]]:
    cases = {
        "live account": (MEMBER, "live@example.com"),
        "unknown account": (MEMBER, "nobody@example.com"),
        "unknown member": ("M00-00000", "live@example.com"),
        "expired account": (MEMBER, "old@example.com"),
        "throttled": (MEMBER, "busy@example.com"),
    }
    live_id = m.Account.get(m.Account.login_key == "live@example.com").id
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(reps + 5):  # interleaved, the first five untimed (warm-up)
        for name, (member_no, email) in cases.items():
            m.ResetToken.delete().where(m.ResetToken.account == live_id).execute()
            start = time.perf_counter()
            auth.request_reset(ctx, member_no, email)
            elapsed = (time.perf_counter() - start) * 1000.0
            if i >= 5:
                samples[name].append(elapsed)
        auth.wait_for_mail(timeout=30)
    rows = []
    for name, values in samples.items():
        values.sort()
        rows.append([name, fmt_ms(values[len(values) // 2]),
                     fmt_ms(values[int(0.95 * (len(values) - 1))]), str(len(values))])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=300)
    parser.add_argument("--postgres", action="store_true",
                        help="also on a throwaway PostgreSQL server (tests/pg.py)")
    args = parser.parse_args()
    print_machine_info(machine_info())
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}")]
        server = None
        if args.postgres:
            from tests import pg

            server = pg.running_server()
            pg_server = server.__enter__()
            database = pg_server.fresh_database("reset_timing")
            targets.append(("postgres", database.__enter__()))
        try:
            for kind, url in targets:
                ctx = AppContext.open(bench_settings(url, Path(tmp)), migrate=True)
                try:
                    seed(ctx)
                    print(f"\n{kind}: request_reset, milliseconds ({args.reps} calls per case)")
                    print_table(["case", "median", "p95", "n"], run(ctx, args.reps))
                finally:
                    ctx.close()
        finally:
            if server is not None:
                database.__exit__(None, None, None)
                server.__exit__(None, None, None)


if __name__ == "__main__":
    main()
