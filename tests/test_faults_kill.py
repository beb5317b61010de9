"""Issue 6, item 5: a writer killed with SIGKILL at random points leaves nothing half-done.

Each round starts a writer process (tests/fault_writer.py: creates, changes and cancels
one company's applications through the services, in a loop) and kills it with SIGKILL:

* lockstep rounds: the writer pauses after every statement and before and after each
  COMMIT, and waits for the test; the test picks a random number of pauses and then
  kills it at the next pause inside a write transaction (between two statements, just
  before COMMIT, or just after it, committed but not yet reported). The kill point is
  exact, so the expected number of writes on disk is exact too.
* free-running rounds: the writer runs at full speed and is killed as soon as the test
  has read a random number of "committed" messages, wherever it is by then (inside
  sqlite3's COMMIT, the WAL write, a read, ...).

After every kill, on the database as the next process finds it:

* ``PRAGMA integrity_check`` is "ok" and ``PRAGMA foreign_key_check`` is empty (SQLite);
* the write lock is free (SQLite: BEGIN IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE of
  every application and day_count row of the company, with a lock timeout);
* no half-written application or revision: every application has revision rows with
  versions exactly 1..version, numbered as R-APP-2 says, the last one equal to the
  application; no revision row without its application; one audit row per revision;
* day_count equals a recount of the application table;
* every write the writer reported as committed is there, and at most one more:
  reported ≤ present ≤ reported + 1, for new applications and for all writes (exactly
  reported, or reported + 1 when killed right after a COMMIT, in lockstep rounds).

No sleeping: the rounds are driven by the writer's messages (pipe reads with a timeout).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

import pytest

from portplus_tui.services import accounts, companies
from portplus_tui.services import applications as apps
from portplus_tui.services.context import AppContext
from portplus_tui.services.mail import MemoryBackend

from . import fault_writer
from .services.conftest import FakeClock, make_settings, make_tenant, session_for

MEMBER_NO = "M97-00339"
SEED = int(os.environ.get("PORTPLUS_FAULT_SEED", "20260302"))
MESSAGE_TIMEOUT_S = 30  # a writer that says nothing for this long is stuck: fail
SQLITE_KILLS = 20
PG_KILLS = 5
INITIAL_APPLICATIONS = 8
# How a round kills its writer: at a random pause inside a write transaction, at the
# pause just before a COMMIT, just after one, or free-running after N reported commits.
MODES = ("txn", "commit", "committed", "free")


def _mp_context():
    """forkserver with the writer module preloaded: each writer is a fork of a process
    that has already imported the services (fast), and never of pytest itself."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["tests.fault_writer"])
        return ctx
    return multiprocessing.get_context("spawn")


# ------------------------------------------------------------------ one round
@dataclass
class Round:
    mode: str  # one of MODES
    kill_at: str = ""  # the marker the writer was paused at (lockstep)
    reported: list[tuple[str, int, int]] = field(default_factory=list)  # (op, app id, version)
    refused: int = 0
    markers: int = 0  # pauses inside write transactions seen (lockstep)

    @property
    def lockstep(self) -> bool:
        return self.mode != "free"

    @property
    def reported_new(self) -> int:
        return sum(1 for op, _, _ in self.reported if op == "new")

    @property
    def committed_unreported(self) -> int | None:
        """Exactly how many writes are on disk but not reported (lockstep), else None."""
        if not self.lockstep:
            return None
        return 1 if self.kill_at == "committed" else 0


def _recv(conn, proc, what: str):
    if not conn.poll(MESSAGE_TIMEOUT_S):
        pytest.fail(f"the writer (pid {proc.pid}, alive={proc.is_alive()}) sent nothing for "
                    f"{MESSAGE_TIMEOUT_S} s while the test waited for {what}")
    try:
        return conn.recv()
    except EOFError:
        pytest.fail(f"the writer ended (exit code {proc.exitcode}) while the test waited for {what}")


def _note(rnd: Round, msg: tuple) -> None:
    kind = msg[0]
    if kind == "done":
        rnd.reported.append((msg[1], msg[2], msg[3]))
    elif kind == "refused":
        rnd.refused += 1
    elif kind == "error":
        pytest.fail(f"the writer raised:\n{msg[1]}")


def kill_round(mp, url: str, data_dir, company_id: int, rng: random.Random, seed: int,
               mode: str) -> Round:
    """One writer, killed as ``mode`` says (see MODES); returns what it reported."""
    lockstep = mode != "free"
    parent, child = mp.Pipe()
    proc = mp.Process(target=fault_writer.run, daemon=True,
                      args=(child, url, str(data_dir), MEMBER_NO, company_id, seed, lockstep))
    proc.start()
    child.close()  # ours; the writer holds its own end, so its death is EOF here
    rnd = Round(mode)
    try:
        msg = _recv(parent, proc, "ready")
        _note(rnd, msg)
        assert msg == ("ready",), msg
        if mode != "free":
            # "txn": count the pauses inside write transactions (from BEGIN to just after
            # COMMIT or ROLLBACK; a write has 7 to 9) and kill at a random one of them.
            # "commit" / "committed": kill at a random write's pause just before / just
            # after its COMMIT.
            target = rng.randint(1, 36) if mode == "txn" else rng.randint(1, 4)
            in_txn = False
            while True:
                msg = _recv(parent, proc, "a pause")
                _note(rnd, msg)
                if msg[0] != "at":
                    continue
                marker = msg[1]
                in_txn = in_txn or marker == "begin"
                if in_txn if mode == "txn" else marker == mode:
                    rnd.markers += 1
                    if rnd.markers == target:
                        rnd.kill_at = marker
                        break
                in_txn = in_txn and marker not in ("committed", "rollback")
                parent.send(1)
        else:
            wanted = rng.randint(1, 12)
            while len(rnd.reported) < wanted:
                _note(rnd, _recv(parent, proc, "a commit"))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(MESSAGE_TIMEOUT_S)
        assert proc.exitcode == -signal.SIGKILL, f"writer exit code {proc.exitcode}"
        # Whatever it said before it died (free-running: a commit or two may follow).
        while True:
            try:
                if not parent.poll(0):
                    break
                _note(rnd, parent.recv())
            except EOFError:
                break
    finally:
        if proc.is_alive():
            os.kill(proc.pid, signal.SIGKILL)
            proc.join(MESSAGE_TIMEOUT_S)
        parent.close()
    return rnd


# ------------------------------------------------------------------ the checks
Query = Callable[[str, tuple], list[tuple]]


@dataclass
class Snapshot:
    applications: int
    revisions: int
    revision_keys: set[tuple[int, int, str]]  # (application, version, action)


def snapshot(q: Query, company_id: int) -> Snapshot:
    keys = {(int(a), int(v), act) for a, v, act in q(
        "SELECT r.application_id, r.version, r.action FROM application_revision r "
        "JOIN application a ON a.id = r.application_id WHERE a.company_id = ?", (company_id,))}
    n_apps = q("SELECT COUNT(*) FROM application WHERE company_id = ?", (company_id,))[0][0]
    return Snapshot(int(n_apps), len(keys), keys)


def consistency_problems(q: Query, company_id: int) -> list[str]:
    """Everything that would show a half-written application or revision."""
    problems: list[str] = []
    app_rows = q("SELECT id, version, revision, apply_date, ports, applicant, status "
                 "FROM application WHERE company_id = ? ORDER BY id", (company_id,))
    revs: dict[int, list[tuple]] = {}
    for r in q("SELECT r.application_id, r.version, r.revision, r.action, r.apply_date, r.ports, "
               "r.applicant, r.status FROM application_revision r JOIN application a "
               "ON a.id = r.application_id WHERE a.company_id = ? "
               "ORDER BY r.application_id, r.version", (company_id,)):
        revs.setdefault(int(r[0]), []).append(r)
    for a in app_rows:
        rows = revs.get(int(a[0]), [])
        versions = [int(r[1]) for r in rows]
        if versions != list(range(1, int(a[1]) + 1)):
            problems.append(f"application {a[0]} (version {a[1]}): revision versions {versions}")
            continue
        expect = 0
        for k, r in enumerate(rows):
            if (k == 0) != (r[3] == "new") or (k > 0 and rows[k - 1][3] == "cancel"):
                problems.append(f"application {a[0]}: action {r[3]!r} at version {r[1]}")
            expect += r[3] == "change"
            if int(r[2]) != expect:
                problems.append(f"application {a[0]} version {r[1]}: revision {r[2]} != {expect}")
        last = rows[-1]
        current = (int(a[2]), str(a[3]), int(a[4]), a[5], a[6])
        written = (int(last[2]), str(last[4]), int(last[5]), last[6], last[7])
        if current != written:
            problems.append(f"application {a[0]}: {current} but its last revision is {written}")
    orphans = q("SELECT r.application_id, r.version FROM application_revision r "
                "LEFT JOIN application a ON a.id = r.application_id WHERE a.id IS NULL", ())
    if orphans:
        problems.append(f"revision rows without their application: {orphans[:10]}")
    n_revs = q("SELECT COUNT(*) FROM application_revision", ())[0][0]
    n_audit = q("SELECT COUNT(*) FROM audit_log WHERE action LIKE ?", ("application.%",))[0][0]
    if n_revs != n_audit:
        problems.append(f"{n_revs} revision rows but {n_audit} application audit entries")
    kept = {str(d): (int(x), int(y), int(z)) for d, x, y, z in q(
        "SELECT day, active, cancelled, active_ports FROM day_count WHERE company_id = ?",
        (company_id,)) if (x, y, z) != (0, 0, 0)}
    recount = {str(d): (int(x), int(y), int(z)) for d, x, y, z in q(
        "SELECT apply_date, SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status = 'active' THEN ports ELSE 0 END) "
        "FROM application WHERE company_id = ? GROUP BY apply_date", (company_id,))}
    if kept != recount:
        diff = sorted(d for d in set(kept) | set(recount) if kept.get(d) != recount.get(d))
        problems.append("day_count differs from the recount on "
                        + ", ".join(f"{d}: {kept.get(d)} vs {recount.get(d)}" for d in diff[:5]))
    return problems


def progress_problems(before: Snapshot, after: Snapshot, rnd: Round) -> list[str]:
    """Reported commits are all there, and at most one unreported one more."""
    problems: list[str] = []
    for op, app_id, version in rnd.reported:
        if (app_id, version, op) not in after.revision_keys:
            problems.append(f"reported {op} of application {app_id} version {version} is missing")
    new_apps = after.applications - before.applications
    writes = after.revisions - before.revisions
    n_new, n_all = rnd.reported_new, len(rnd.reported)
    exact = rnd.committed_unreported
    if exact is None:
        if not n_new <= new_apps <= n_new + 1:
            problems.append(f"{new_apps} new applications, {n_new} reported")
        if not n_all <= writes <= n_all + 1:
            problems.append(f"{writes} new revision rows, {n_all} writes reported")
    else:
        if writes != n_all + exact:
            problems.append(f"{writes} new revision rows; killed at {rnd.kill_at!r} after "
                            f"{n_all} reported writes, so {n_all + exact} expected")
        if not n_new <= new_apps <= n_new + exact:
            problems.append(f"{new_apps} new applications, {n_new} reported "
                            f"(killed at {rnd.kill_at!r})")
    return problems


def sqlite_query(path) -> tuple[sqlite3.Connection, Query]:
    conn = sqlite3.connect(str(path), timeout=10, isolation_level=None)

    def q(sql: str, params: tuple) -> list[tuple]:
        return conn.execute(sql, params).fetchall()

    return conn, q


# ------------------------------------------------------------------ setup
def seed_database(url: str, data_dir) -> int:
    """Migrate, add the company with an admin and a user, and a few applications."""
    settings = make_settings(url, data_dir)
    ctx = AppContext.open(settings, clock=FakeClock(fault_writer.NOW), migrate=True,
                          mailer=MemoryBackend(sender=settings.mail_from))
    try:
        tenant = make_tenant(ctx, MEMBER_NO)
        for k in range(INITIAL_APPLICATIONS):
            apps.create(ctx, tenant.admin_session if k % 2 else tenant.user_session,
                        apply_date=fault_writer.FIRST_DAY + timedelta(days=k), ports=k + 1)
        return tenant.company.id
    finally:
        ctx.close()


def still_writable(url: str, data_dir, company_id: int) -> None:
    """After the last kill, the services still write (and the result is consistent)."""
    settings = make_settings(url, data_dir)
    ctx = AppContext.open(settings, clock=FakeClock(fault_writer.NOW),
                          mailer=MemoryBackend(sender=settings.mail_from))
    try:
        company = companies.find_company(ctx, MEMBER_NO)
        assert company.id == company_id
        admin = next(a for a in accounts.list_accounts_for(ctx, MEMBER_NO) if a.is_admin)
        session = session_for(ctx, company, admin)
        made = apps.create(ctx, session, apply_date=fault_writer.FIRST_DAY, ports=3)
        changed = apps.change(ctx, session, made.id, version=made.version,
                              apply_date=fault_writer.FIRST_DAY + timedelta(days=1), ports=4)
        assert (changed.version, changed.revision, changed.ports) == (2, 1, 4)
    finally:
        ctx.close()


def run_kills(url: str, data_dir, kills: int,
              check_store: Callable[[int], tuple[Snapshot, list[str]]], company_id: int) -> list[Round]:
    mp = _mp_context()
    rng = random.Random(SEED)
    before, problems = check_store(company_id)
    assert problems == [], problems
    rounds: list[Round] = []
    for i in range(kills):
        rnd = kill_round(mp, url, data_dir, company_id, rng, SEED + i, MODES[i % len(MODES)])
        after, problems = check_store(company_id)
        problems += progress_problems(before, after, rnd)
        assert problems == [], (
            f"after kill {i + 1} (seed {SEED}, {rnd.mode}"
            f"{', at ' + repr(rnd.kill_at) if rnd.lockstep else ''}, "
            f"{len(rnd.reported)} writes reported): " + "; ".join(problems))
        rounds.append(rnd)
        before = after
    return rounds


# ------------------------------------------------------------------ the tests
def test_sigkilled_sqlite_writer_leaves_no_half_written_application(tmp_path):
    path = tmp_path / "kill.db"
    url = f"sqlite:///{path}"
    company_id = seed_database(url, tmp_path)

    def check_store(cid: int) -> tuple[Snapshot, list[str]]:
        conn, q = sqlite_query(path)
        try:
            problems = []
            integrity = q("PRAGMA integrity_check", ())
            if integrity != [("ok",)]:
                problems.append(f"PRAGMA integrity_check: {integrity[:5]}")
            fk = q("PRAGMA foreign_key_check", ())
            if fk:
                problems.append(f"PRAGMA foreign_key_check: {fk[:5]}")
            conn.execute("BEGIN IMMEDIATE")  # the dead writer's lock is gone (timeout 10 s)
            conn.execute("ROLLBACK")
            problems += consistency_problems(q, cid)
            return snapshot(q, cid), problems
        finally:
            conn.close()

    rounds = run_kills(url, tmp_path, SQLITE_KILLS, check_store, company_id)

    inside = {r.kill_at for r in rounds if r.mode == "txn"}
    assert any(p.startswith("sql ") for p in inside), f"no kill between two statements: {inside}"
    assert {r.kill_at for r in rounds if r.mode != "txn"} >= {"commit", "committed", ""}
    assert sum(len(r.reported) for r in rounds) > SQLITE_KILLS, "the writers hardly wrote"
    still_writable(url, tmp_path, company_id)
    conn, q = sqlite_query(path)
    try:
        assert q("PRAGMA integrity_check", ()) == [("ok",)]
        assert consistency_problems(q, company_id) == []
    finally:
        conn.close()


def test_sigkilled_postgres_client_leaves_no_partial_write(pg_url, tmp_path):
    import psycopg

    company_id = seed_database(pg_url, tmp_path)
    conn = psycopg.connect(pg_url, autocommit=True)

    def q(sql: str, params: tuple) -> list[tuple]:
        return conn.execute(sql.replace("?", "%s"), params).fetchall()

    def check_store(cid: int) -> tuple[Snapshot, list[str]]:
        # The killed client's backend releases its locks once it sees the socket closed;
        # taking every lock it could have held proves that (bounded by lock_timeout).
        with conn.transaction():
            conn.execute("SET LOCAL lock_timeout = '20s'")
            conn.execute("SELECT id FROM application WHERE company_id = %s FOR UPDATE", (cid,))
            conn.execute("SELECT day FROM day_count WHERE company_id = %s FOR UPDATE", (cid,))
        return snapshot(q, cid), consistency_problems(q, cid)

    try:
        # Inside a transaction, before a COMMIT, after one, free-running, inside again.
        rounds = run_kills(pg_url, tmp_path, PG_KILLS, check_store, company_id)
        assert [r.mode for r in rounds] == ["txn", "commit", "committed", "free", "txn"]
        still_writable(pg_url, tmp_path, company_id)
        assert consistency_problems(q, company_id) == []
    finally:
        conn.close()


@pytest.mark.parametrize("damage, expected", [
    ("UPDATE application SET version = version + 1, ports = ports + 1 WHERE id = 1",
     "revision versions"),
    ("UPDATE application SET ports = ports + 1 WHERE id = 2", "its last revision"),
    ("UPDATE application_revision SET revision = 1 WHERE application_id = 3", "revision 1 != 0"),
    ("INSERT INTO application (company_id, apply_date, ports, applicant, applied_at, status, "
     "revision, version, updated_at) SELECT company_id, apply_date, 1, 'x', applied_at, status, "
     "0, 1, updated_at FROM application WHERE id = 1", "revision versions []"),
    ("DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)", "audit entries"),
    ("UPDATE day_count SET active = active + 1 WHERE day = (SELECT MIN(day) FROM day_count)",
     "day_count differs"),
    ("INSERT INTO application_revision (application_id, version, revision, action, apply_date, "
     "ports, applicant, status, actor, at) VALUES (999999, 1, 0, 'new', '2026-03-20', 1, 'x', "
     "'active', 'x', '2026-03-02 01:00:00')", "without their application"),
])
def test_the_checks_see_a_half_written_application(tmp_path, damage, expected):
    """The checks above are only worth something if they catch what they look for."""
    path = tmp_path / "damaged.db"
    company_id = seed_database(f"sqlite:///{path}", tmp_path)
    conn, q = sqlite_query(path)
    try:
        assert consistency_problems(q, company_id) == []
        conn.execute("PRAGMA foreign_keys = OFF")  # to plant an orphan revision row
        conn.execute("BEGIN")
        conn.execute(damage)
        problems = consistency_problems(q, company_id)
        assert any(expected in p for p in problems), problems
        conn.execute("ROLLBACK")
        assert consistency_problems(q, company_id) == []
    finally:
        conn.close()


def test_the_progress_check_sees_a_lost_or_an_unreported_write():
    before = Snapshot(8, 8, {(k, 1, "new") for k in range(1, 9)})
    grown = Snapshot(9, 9, before.revision_keys | {(9, 1, "new")})
    # A commit the writer reported is not there.
    lost = Round("committed", kill_at="committed", reported=[("change", 1, 2)])
    assert any("is missing" in p for p in progress_problems(before, before, lost))
    # Killed before its COMMIT, yet a write landed.
    assert any("expected" in p for p in progress_problems(before, grown, Round("commit", "commit")))
    # Killed just after a COMMIT: exactly one unreported write is right, none is wrong.
    assert progress_problems(before, grown, Round("committed", "committed")) == []
    assert progress_problems(before, before, Round("committed", "committed")) != []
    # Free-running: reported <= present <= reported + 1.
    assert progress_problems(before, grown, Round("free")) == []
    two_more = Snapshot(10, 10, grown.revision_keys | {(10, 1, "new")})
    assert progress_problems(before, two_more, Round("free")) != []
