"""Issue 11, finding 10: a reset request does the same database work whatever the
case (live account, unknown account, unknown member, expired or deleted account,
throttled): the same statements in the same order, parameters aside. Counted, not
timed (``bench/reset_timing.py`` prints the timings)."""

from __future__ import annotations

import re
from datetime import date

from portplus_tui.services import auth
from portplus_tui.store import models as m

from .test_auth import MEMBER, sent

_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+\b")


def shape(sql: str) -> str:
    """The statement with literals stripped (parameters are passed apart anyway)."""
    return _LITERALS.sub("?", " ".join(str(sql).split()))


def capture(ctx, monkeypatch) -> list[str]:
    statements: list[str] = []
    real_execute = ctx.db.execute_sql

    def spy(sql, params=None, *args, **kwargs):
        statements.append(shape(sql))
        return real_execute(sql, params, *args, **kwargs)

    monkeypatch.setattr(ctx.db, "execute_sql", spy)
    return statements


def test_every_case_runs_the_same_statements(ctx, tenant, other_tenant, clock, monkeypatch):
    m.Account.update(deleted=True).where(m.Account.id == other_tenant.user.id).execute()
    m.Account.update(expires=date(2026, 3, 1)).where(m.Account.id == other_tenant.admin.id).execute()
    for _ in range(3):  # use up the admin's mail allowance: the next request is throttled
        auth.request_reset(ctx, MEMBER, "admin@example.com")
        m.ResetToken.update(voided=True).execute()
    assert auth.wait_for_mail(timeout=30)
    mails_before = len(sent(ctx))

    statements = capture(ctx, monkeypatch)
    cases = {
        "live": (MEMBER, "user@example.com"),
        "unknown account": (MEMBER, "nobody@example.com"),
        "unknown member": ("M00-00000", "user@example.com"),
        "deleted": ("M97-00999", "user@example.com"),
        "expired": ("M97-00999", "admin@example.com"),
        "throttled": (MEMBER, "admin@example.com"),
    }
    seen = {}
    for name, (member_no, email) in cases.items():
        statements.clear()
        auth.request_reset(ctx, member_no, email)
        seen[name] = list(statements)
    assert auth.wait_for_mail(timeout=30)

    assert len(sent(ctx)) == mails_before + 1  # only the live account got a mail
    reference = seen["live"]
    assert any(s.upper().startswith("INSERT") for s in reference)
    for name, got in seen.items():
        assert got == reference, f"{name} differs from a live account:\n{got}\n{reference}"
