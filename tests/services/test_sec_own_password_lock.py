"""Issue 11, finding 4: changing one's own password must not race past the lock.

A locked account changes nothing: ``change_own_password`` refuses at once (code
``locked``, no bcrypt), and its final UPDATE only matches while the account is not
locked and its failure count is the one read, so a lock set meanwhile wins. (The
refusal at once is in test_sec_lock_keeps_sessions.py.)"""

from __future__ import annotations

import threading
from dataclasses import replace

import bcrypt

from portplus_tui.core.errors import AuthError, ConflictError
from portplus_tui.services import auth
from portplus_tui.store import models as m

from .test_auth import MEMBER, USER_PW, auth_error, row, run_concurrently

NEW_PW = "fresh-pass-9"
WRONG = "wrong-pass-1"


def login(ctx):
    return auth.login(ctx, MEMBER, "user@example.com", USER_PW).session


def has_password(account_id: int, password: str) -> bool:
    return bcrypt.checkpw(password.encode(), row(account_id).password_hash.encode())


def test_a_lock_set_while_the_right_password_is_checked_wins(ctx, tenant, monkeypatch):
    """Deterministic interleaving: the right current password has passed bcrypt, then
    five wrong guesses lock the account, then the change tries to write: refused."""
    session = login(ctx)
    real_verify = auth.reset.verify_password
    checked, release = threading.Event(), threading.Event()

    def gated(password, hashed, rounds):
        ok = real_verify(password, hashed, rounds)
        if password == USER_PW:
            checked.set()
            assert release.wait(timeout=60)
        return ok

    monkeypatch.setattr(auth.reset, "verify_password", gated)
    outcome: list = []

    def right() -> None:
        try:
            auth.change_own_password(ctx, replace(session), USER_PW, NEW_PW, NEW_PW)
            outcome.append("changed")
        except Exception as exc:  # noqa: BLE001 - checked below
            outcome.append(exc)
        finally:
            ctx.db.close()

    thread = threading.Thread(target=right)
    thread.start()
    try:
        assert checked.wait(timeout=60)
        codes = [auth_error(auth.change_own_password, ctx, replace(session), WRONG, NEW_PW,
                            NEW_PW).code for _ in range(5)]
    finally:
        release.set()
        thread.join(timeout=60)
    assert not thread.is_alive()
    assert codes == ["wrong_password"] * 4 + ["locked"]
    assert len(outcome) == 1 and isinstance(outcome[0], AuthError), outcome
    assert outcome[0].code == "locked"
    assert has_password(tenant.user.id, USER_PW) and not has_password(tenant.user.id, NEW_PW)
    assert not m.AuditLog.select().where(m.AuditLog.action == "password.change").exists()
    assert row(tenant.user.id).locked_until is not None


def test_twenty_concurrent_changes_never_change_a_locked_account(ctx, tenant):
    """19 wrong current passwords and one right one, released together. Whatever the
    order, the change is committed only while the account is not locked: no lock
    (threshold) is recorded before it, and a refused change leaves the old password."""
    session = login(ctx)
    right = 7

    def call(i: int):
        current = USER_PW if i == right else WRONG
        auth.change_own_password(ctx, replace(session), current, NEW_PW, NEW_PW)
        return "changed"

    results = run_concurrently(ctx, 20, call)
    kinds = []
    for status, value in results:
        if status == "ok":
            kinds.append(value)
        elif isinstance(value, AuthError) and value.code in ("wrong_password", "locked"):
            kinds.append(value.code)
        elif isinstance(value, AuthError) and value.code == "session_password_changed":
            # a call that began after the right one had committed: the change ended the
            # session it shares (issue 11), so it is refused before its password is read
            kinds.append("ended")
        elif isinstance(value, ConflictError):
            kinds.append("conflict")
        else:
            raise AssertionError(f"unexpected outcome {value!r}")
    assert kinds.count("changed") <= 1
    if "ended" in kinds:
        assert kinds[right] == "changed", kinds
    assert all(k != "changed" for i, k in enumerate(kinds) if i != right)
    A = m.AuditLog
    change = A.select().where(A.action == "password.change").first()
    if kinds[right] == "changed":
        assert change is not None and has_password(tenant.user.id, NEW_PW)
        earlier_locks = A.select().where((A.action == "login.locked") & (A.id < change.id)).count()
        assert earlier_locks == 0, "the password was changed after the account was locked"
    else:
        assert change is None and has_password(tenant.user.id, USER_PW)
