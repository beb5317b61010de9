"""R-APP-6: several workers change and cancel the same application at once. Exactly
one wins per version, the others get a ConflictError, and no revision is lost."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date

from portplus_tui.core.errors import ConflictError
from portplus_tui.services import applications as apps
from portplus_tui.store import bulk
from portplus_tui.store import models as m

WORKERS = 6
ROUNDS = 4
APPLY = date(2026, 3, 20)


def run_round(ctx, session, app_id: int, version: int, with_cancel: bool):
    barrier = threading.Barrier(WORKERS)
    results: list = [None] * WORKERS

    def worker(i: int) -> None:
        own = replace(session)
        try:
            barrier.wait(timeout=30)
            if with_cancel and i % 2:
                results[i] = apps.cancel(ctx, own, app_id, version=version)
            else:
                results[i] = apps.change(ctx, own, app_id, version=version, apply_date=APPLY,
                                         ports=10 + i + version * 10)
        except Exception as exc:  # noqa: BLE001 - collected and checked below
            results[i] = exc
        finally:
            ctx.db.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def test_one_winner_per_version_and_no_revision_lost(ctx, tenant):
    session = tenant.user_session
    view = apps.create(ctx, session, apply_date=APPLY, ports=1)
    version = view.version
    winners = []
    for round_no in range(ROUNDS):
        last = round_no == ROUNDS - 1
        results = run_round(ctx, session, view.id, version, with_cancel=last)
        won = [r for r in results if isinstance(r, apps.ApplicationView)]
        lost = [r for r in results if isinstance(r, ConflictError)]
        others = [r for r in results if r not in won and r not in lost]
        assert others == [], f"unexpected outcomes: {others!r}"
        assert len(won) == 1, f"round {round_no}: {len(won)} winners"
        assert len(lost) == WORKERS - 1
        winners.append(won[0])
        version = won[0].version
        assert version == round_no + 2

    current = apps.get(ctx, session, view.id)
    hist = apps.history(ctx, session, view.id)
    assert [h.version for h in hist] == list(range(1, current.version + 1))
    # Revision numbers grow by one with every change and never skip or repeat.
    revision = 0
    for h in hist[1:]:
        if h.action == "change":
            revision += 1
        assert h.revision == revision
    last = hist[-1]
    assert (last.apply_date, last.ports, last.status) == (current.apply_date, current.ports,
                                                           current.status)
    assert current.revision == revision
    # Each winner's result is exactly the history row of its version.
    for won in winners:
        row = hist[won.version - 1]
        assert (row.ports, row.status) == (won.ports, won.status)
    # Per-day totals agree with a recount.
    kept = sorted(m.DayCount.select().where(m.DayCount.company == tenant.company.id).tuples())
    with ctx.db.atomic():
        bulk.rebuild_day_counts(ctx.db, tenant.company.id)
    recount = sorted(m.DayCount.select().where(m.DayCount.company == tenant.company.id).tuples())
    assert [r for r in kept if r[2] or r[3]] == [r for r in recount if r[2] or r[3]]


def test_concurrent_creates_all_land_with_distinct_numbers(ctx, tenant):
    barrier = threading.Barrier(WORKERS)
    made: list = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        own = replace(tenant.admin_session)
        try:
            barrier.wait(timeout=30)
            for k in range(5):
                view = apps.create(ctx, own, apply_date=APPLY, ports=1 + k)
                with lock:
                    made.append(view)
        finally:
            ctx.db.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(made) == WORKERS * 5
    assert len({v.number for v in made}) == WORKERS * 5
    totals = apps.day_totals(ctx, tenant.admin_session, APPLY, APPLY)
    assert totals[0].active == WORKERS * 5
    assert totals[0].ports == WORKERS * sum(range(1, 6))
