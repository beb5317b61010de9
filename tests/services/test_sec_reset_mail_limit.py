"""Issue 11, finding 7: no reset-mail flood. At most ``reset_mail_limit`` (3) reset
mails per account per ``reset_mail_window_minutes`` (15), voided codes included; the
requester always gets the same answer."""

from __future__ import annotations

from datetime import timedelta

from portplus_tui.services import auth
from portplus_tui.store import models as m

from .test_auth import MEMBER, auth_error, run_concurrently, sent

NEW_PW = "fresh-pass-9"


def flood_round(ctx):
    answer = auth.request_reset(ctx, MEMBER, "user@example.com")
    for _ in range(5):  # five wrong codes void the token just issued
        assert auth_error(auth.complete_reset, ctx, MEMBER, "user@example.com", "ABCD-EFGH",
                          NEW_PW, NEW_PW).code == "reset_failed"
    return answer


def test_fifty_rounds_send_three_mails(ctx, tenant):
    answers = {flood_round(ctx) for _ in range(50)}
    assert auth.wait_for_mail(timeout=30)
    assert len(sent(ctx)) == 3
    assert answers == {auth.ResetRequested(valid_minutes=30)}
    assert m.ResetToken.select().count() == 3
    audit = m.AuditLog.select().where(m.AuditLog.action == "password.reset_request")
    assert audit.count() == 50  # every request is still recorded


def test_the_window_slides(ctx, tenant, clock):
    settings = ctx.settings
    assert (settings.reset_mail_limit, settings.reset_mail_window_minutes) == (3, 15)
    for _ in range(3):
        flood_round(ctx)
        clock.advance(minutes=2)
    flood_round(ctx)  # 6 minutes after the first: the fourth mail is not sent
    assert auth.wait_for_mail(timeout=30)
    assert len(sent(ctx)) == 3
    clock.set(clock.now + timedelta(minutes=9, seconds=1))  # 15 min after the first
    flood_round(ctx)
    assert auth.wait_for_mail(timeout=30)
    assert len(sent(ctx)) == 4


def test_the_limit_is_configurable(ctx, tenant, clock):
    ctx.settings = ctx.settings.replace(reset_mail_limit=1, reset_mail_window_minutes=60)
    flood_round(ctx)
    clock.advance(minutes=59)
    flood_round(ctx)
    assert auth.wait_for_mail(timeout=30)
    assert len(sent(ctx)) == 1


def test_concurrent_requests_stay_within_the_limit(ctx, tenant):
    """20 requests released together (no resend pause, so only the limit holds them
    back): 3 tokens, 3 mails, 20 identical answers."""
    ctx.settings = ctx.settings.replace(otp_resend_seconds=0)
    results = run_concurrently(ctx, 20, lambda i: auth.request_reset(ctx, MEMBER,
                                                                     "user@example.com"))
    assert auth.wait_for_mail(timeout=30)
    assert {r for r in results} == {("ok", auth.ResetRequested(valid_minutes=30))}
    assert m.ResetToken.select().count() == 3
    assert len(sent(ctx)) == 3
