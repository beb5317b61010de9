"""Two-step login (R-OTP-1..3): mail, masking, validity, single use, attempt binding,
wrong entries, resend, cancel, account re-check, mail failure, concurrency."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from portplus_tui.core.errors import AuthError
from portplus_tui.services import auth
from portplus_tui.services.context import Session
from portplus_tui.store import models as m
from portplus_tui.store.db import from_db

from .conftest import MEMBER_2FA
from .test_auth import (
    ADMIN_PW,
    USER_PW,
    auth_error,
    otp_in,
    row,
    run_concurrently,
    sent,
)

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def start(ctx, login_id="admin@example.com", password=ADMIN_PW):
    """Password step; returns (challenge info, code from the mail)."""
    result = auth.login(ctx, MEMBER_2FA, login_id, password)
    assert result.needs_otp and result.session is None
    return result.challenge, otp_in(sent(ctx)[-1])


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def live_challenges() -> int:
    C = m.OtpChallenge
    return C.select().where(C.used_at.is_null() & (C.voided == False)).count()  # noqa: E712


def test_code_is_mailed_and_address_masked(ctx, tfa, clock):
    info, code = start(ctx)
    mail = sent(ctx)[-1]
    assert len(sent(ctx)) == 1 and mail.to == "admin@example.com"
    assert "ワンタイムパスワード" in mail.subject and "30分" in mail.body
    assert re.fullmatch(r"[0-9]{6}", code)
    assert info.masked_email == "a*****@ex*****"
    assert info.expires_at == clock.now + timedelta(minutes=30)
    assert info.resend_at == clock.now + timedelta(seconds=60)
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", info.attempt)
    # Only hashes are stored: neither the attempt id nor the code.
    stored = m.OtpChallenge.get()
    assert stored.attempt != info.attempt and info.attempt not in stored.attempt
    assert code not in stored.code_hash
    # The password step does not reset the failure count (only a verified code does).
    assert m.AuditLog.select().where(m.AuditLog.action == "login.otp_sent").count() == 1
    assert m.AuditLog.select().where(m.AuditLog.action == "login.success").count() == 0


def test_codes_vary(ctx, tfa, clock):
    codes = set()
    for _ in range(6):
        codes.add(start(ctx)[1])
        clock.advance(seconds=1)
    assert len(codes) > 1


def test_correct_code_gives_session(ctx, tfa, clock):
    info, code = start(ctx)
    clock.advance(minutes=2)
    session = auth.verify_otp(ctx, info.attempt, code)
    assert isinstance(session, Session)
    assert session.account_id == tfa.admin.id and session.company_id == tfa.company.id
    assert session.member_no == MEMBER_2FA and session.role == "admin"
    assert session.login_at == clock.now
    r = m.AuditLog.select().where(m.AuditLog.action == "login.success").get()
    assert '"two_factor": true' in r.after and code not in (r.after or "")


def test_full_width_and_spaced_digits_are_accepted(ctx, tfa):
    info, code = start(ctx)
    typed = f" {code[:3]} {code[3:]} ".translate(FULL_WIDTH)
    assert auth.verify_otp(ctx, info.attempt, typed).account_id == tfa.admin.id


@pytest.mark.parametrize("elapsed, ok", [
    (timedelta(minutes=29, seconds=59), True),
    (timedelta(minutes=30), True),
    (timedelta(minutes=30, seconds=1), False),
])
def test_code_is_valid_thirty_minutes(ctx, tfa, clock, elapsed, ok):
    info, code = start(ctx)
    clock.advance(seconds=elapsed.total_seconds())
    if ok:
        assert auth.verify_otp(ctx, info.attempt, code).account_id == tfa.admin.id
    else:
        assert auth_error(auth.verify_otp, ctx, info.attempt, code).code == "otp_expired"


def test_code_is_single_use(ctx, tfa):
    info, code = start(ctx)
    auth.verify_otp(ctx, info.attempt, code)
    assert auth_error(auth.verify_otp, ctx, info.attempt, code).code == "otp_invalid"


def test_code_is_bound_to_its_attempt(ctx, tfa):
    admin_info, admin_code = start(ctx)
    user_info, user_code = start(ctx, "user@example.com", USER_PW)
    if admin_code != user_code:
        assert auth_error(auth.verify_otp, ctx, user_info.attempt, admin_code).code == "otp_wrong"
    assert auth.verify_otp(ctx, user_info.attempt, user_code).account_id == tfa.user.id
    assert auth.verify_otp(ctx, admin_info.attempt, admin_code).account_id == tfa.admin.id


def test_new_login_voids_the_older_challenge(ctx, tfa):
    first, first_code = start(ctx)
    second, second_code = start(ctx)
    assert auth_error(auth.verify_otp, ctx, first.attempt, first_code).code == "otp_invalid"
    assert auth.verify_otp(ctx, second.attempt, second_code).account_id == tfa.admin.id


def test_five_wrong_entries_void_the_code(ctx, tfa):
    ctx.settings = ctx.settings.replace(lockout_threshold=100)  # isolate the per-code limit
    info, code = start(ctx)
    for remaining in (4, 3, 2, 1):
        err = auth_error(auth.verify_otp, ctx, info.attempt, wrong(code))
        assert err.code == "otp_wrong" and f"あと{remaining}回" in err.ja
    assert auth_error(auth.verify_otp, ctx, info.attempt, wrong(code)).code == "otp_voided"
    # The 6th entry, even the right code, is refused.
    assert auth_error(auth.verify_otp, ctx, info.attempt, code).code == "otp_invalid"
    assert m.OtpChallenge.get().failures == 5


def test_wrong_codes_count_towards_the_account_lockout(ctx, tfa, clock):
    # 3 wrong on one attempt, a new password login (which does not reset the count),
    # 2 wrong on the next: the account is locked.
    info, code = start(ctx)
    for _ in range(3):
        auth_error(auth.verify_otp, ctx, info.attempt, wrong(code))
    info, code = start(ctx)
    assert row(tfa.admin.id).failed_count == 3
    auth_error(auth.verify_otp, ctx, info.attempt, wrong(code))
    err = auth_error(auth.verify_otp, ctx, info.attempt, wrong(code))
    assert err.code == "locked" and "15分後" in err.ja
    assert auth_error(auth.verify_otp, ctx, info.attempt, code).code == "otp_invalid"
    assert auth_error(auth.login, ctx, MEMBER_2FA, "admin@example.com", ADMIN_PW).code == "locked"
    clock.advance(minutes=15)
    info, code = start(ctx)
    auth.verify_otp(ctx, info.attempt, code)
    assert row(tfa.admin.id).failed_count == 0


def test_correct_code_resets_the_failure_count(ctx, tfa):
    auth_error(auth.login, ctx, MEMBER_2FA, "admin@example.com", "wrong-pass-1")
    info, code = start(ctx)
    auth_error(auth.verify_otp, ctx, info.attempt, wrong(code))
    assert row(tfa.admin.id).failed_count == 2
    auth.verify_otp(ctx, info.attempt, code)
    assert row(tfa.admin.id).failed_count == 0


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5", None, "1" * 10_000,
                                  "\x00" * 6, "１２３４５"])
def test_malformed_code_is_refused_without_counting(ctx, tfa, code):
    info, right = start(ctx)
    assert auth_error(auth.verify_otp, ctx, info.attempt, code).code == "otp_format"
    assert m.OtpChallenge.get().failures == 0
    assert auth.verify_otp(ctx, info.attempt, right).account_id == tfa.admin.id


@pytest.mark.parametrize("attempt", ["", None, "x" * 10_000, "\x00" * 43, "not-an-attempt-id-but-long",
                                     "é" * 43, 123])
def test_unknown_or_malformed_attempt_is_refused(ctx, tfa, attempt):
    _info, code = start(ctx)
    assert auth_error(auth.verify_otp, ctx, attempt, code).code == "otp_invalid"
    assert auth_error(auth.resend_otp, ctx, attempt).code == "otp_invalid"
    auth.cancel_otp(ctx, attempt)  # silent
    assert live_challenges() == 1


# ------------------------------------------------------------------------------ resend
def test_resend_only_after_sixty_seconds_and_voids_the_old_code(ctx, tfa, clock):
    info, old_code = start(ctx)
    clock.advance(seconds=59)
    err = auth_error(auth.resend_otp, ctx, info.attempt)
    assert err.code == "otp_resend_wait" and "1秒後" in err.ja
    assert len(sent(ctx)) == 1
    clock.advance(seconds=1)
    again = auth.resend_otp(ctx, info.attempt)
    assert len(sent(ctx)) == 2 and sent(ctx)[-1].to == "admin@example.com"
    new_code = otp_in(sent(ctx)[-1])
    assert again.attempt == info.attempt  # same attempt, new code
    assert again.expires_at == clock.now + timedelta(minutes=30)
    assert again.resend_at == clock.now + timedelta(seconds=60)
    assert again.masked_email == info.masked_email
    if new_code != old_code:
        assert auth_error(auth.verify_otp, ctx, info.attempt, old_code).code == "otp_wrong"
    # The new code's 30 minutes count from the resend.
    clock.advance(minutes=30)
    assert auth.verify_otp(ctx, info.attempt, new_code).account_id == tfa.admin.id
    assert m.AuditLog.select().where(m.AuditLog.action == "otp.resend").count() == 1


def test_second_resend_waits_again(ctx, tfa, clock):
    info, _ = start(ctx)
    clock.advance(seconds=60)
    auth.resend_otp(ctx, info.attempt)
    clock.advance(seconds=30)
    assert auth_error(auth.resend_otp, ctx, info.attempt).code == "otp_resend_wait"


def test_resend_keeps_the_wrong_entry_count(ctx, tfa, clock):
    ctx.settings = ctx.settings.replace(lockout_threshold=100)
    info, code = start(ctx)
    for _ in range(4):
        auth_error(auth.verify_otp, ctx, info.attempt, wrong(code))
    clock.advance(seconds=60)
    auth.resend_otp(ctx, info.attempt)
    new_code = otp_in(sent(ctx)[-1])
    assert auth_error(auth.verify_otp, ctx, info.attempt, wrong(new_code)).code == "otp_voided"
    assert auth_error(auth.verify_otp, ctx, info.attempt, new_code).code == "otp_invalid"


def test_resend_refused_for_used_cancelled_or_expired_attempt(ctx, tfa, clock):
    info, code = start(ctx)
    auth.verify_otp(ctx, info.attempt, code)
    clock.advance(seconds=61)
    assert auth_error(auth.resend_otp, ctx, info.attempt).code == "otp_invalid"
    info, _ = start(ctx)
    auth.cancel_otp(ctx, info.attempt)
    clock.advance(seconds=61)
    assert auth_error(auth.resend_otp, ctx, info.attempt).code == "otp_invalid"
    info, _ = start(ctx)
    clock.advance(minutes=31)
    assert auth_error(auth.resend_otp, ctx, info.attempt).code == "otp_expired"


def test_resend_mail_failure_keeps_the_old_code(ctx, tfa, clock):
    info, code = start(ctx)
    clock.advance(seconds=60)
    ctx.get_mailer().fail = True
    err = auth_error(auth.resend_otp, ctx, info.attempt)
    assert err.code == "mail" and "メール" in err.ja
    ctx.get_mailer().fail = False
    assert auth.verify_otp(ctx, info.attempt, code).account_id == tfa.admin.id


# ------------------------------------------------------------------------------ cancel
def test_cancel_voids_the_code(ctx, tfa):
    info, code = start(ctx)
    auth.cancel_otp(ctx, info.attempt)
    assert live_challenges() == 0
    assert auth_error(auth.verify_otp, ctx, info.attempt, code).code == "otp_invalid"
    auth.cancel_otp(ctx, info.attempt)  # again: nothing to do, no error
    assert m.AuditLog.select().where(m.AuditLog.action == "otp.cancel").count() == 1


# ------------------------------------------------------------------------------ account re-check
def test_account_deleted_between_password_and_code_is_refused(ctx, tfa):
    info, code = start(ctx)
    m.Account.update(deleted=True).where(m.Account.id == tfa.admin.id).execute()
    assert auth_error(auth.verify_otp, ctx, info.attempt, code).code == "login_failed"
    m.Account.update(deleted=False).where(m.Account.id == tfa.admin.id).execute()
    assert auth_error(auth.verify_otp, ctx, info.attempt, code).code == "otp_invalid"  # voided


def test_account_expired_between_password_and_code_is_refused(ctx, tfa):
    info, code = start(ctx)
    m.Account.update(expires=date(2026, 3, 1)).where(m.Account.id == tfa.admin.id).execute()
    assert auth_error(auth.verify_otp, ctx, info.attempt, code).code == "login_failed"


def test_account_locked_between_password_and_code_is_refused(ctx, tfa, clock):
    info, code = start(ctx)
    until = clock.now + timedelta(minutes=15)
    m.Account.update(locked_until=until.replace(tzinfo=None)).where(m.Account.id == tfa.admin.id).execute()
    assert auth_error(auth.verify_otp, ctx, info.attempt, code).code == "locked"
    assert auth_error(auth.resend_otp, ctx, info.attempt).code == "otp_invalid"


# ------------------------------------------------------------------------------ mail failure
def test_mail_failure_fails_the_login_cleanly(ctx, tfa):
    auth_error(auth.login, ctx, MEMBER_2FA, "admin@example.com", "wrong-pass-1")
    auth_error(auth.login, ctx, MEMBER_2FA, "admin@example.com", "wrong-pass-1")
    ctx.get_mailer().fail = True
    err = auth_error(auth.login, ctx, MEMBER_2FA, "admin@example.com", ADMIN_PW)
    assert err.code == "mail"
    assert "メールを送信できなかった" in err.ja and "could not be sent" in err.en
    assert m.OtpChallenge.select().count() == 0  # no challenge at all
    assert row(tfa.admin.id).failed_count == 2  # a right password is not a failure
    assert row(tfa.admin.id).locked_until is None
    assert sent(ctx) == []
    r = m.AuditLog.select().where(m.AuditLog.action == "login.failure").order_by(m.AuditLog.id.desc()).get()
    assert '"reason": "mail"' in r.after
    # Once mail works again, the login goes through.
    ctx.get_mailer().fail = False
    info, code = start(ctx)
    assert auth.verify_otp(ctx, info.attempt, code).account_id == tfa.admin.id


def test_mail_failure_does_not_void_a_pending_challenge(ctx, tfa):
    info, code = start(ctx)
    ctx.get_mailer().fail = True
    auth_error(auth.login, ctx, MEMBER_2FA, "admin@example.com", ADMIN_PW)
    ctx.get_mailer().fail = False
    assert auth.verify_otp(ctx, info.attempt, code).account_id == tfa.admin.id


# ------------------------------------------------------------------------------ concurrency
def test_ten_threads_verifying_the_same_code_give_one_session(ctx, tfa):
    info, code = start(ctx)
    results = run_concurrently(ctx, 10, lambda i: auth.verify_otp(ctx, info.attempt, code))
    sessions = [value for kind, value in results if kind == "ok"]
    errors = [value for kind, value in results if kind == "err"]
    assert len(sessions) == 1 and isinstance(sessions[0], Session)
    assert len(errors) == 9 and all(isinstance(e, AuthError) for e in errors), errors
    assert {e.code for e in errors} == {"otp_invalid"}
    assert m.AuditLog.select().where(m.AuditLog.action == "login.success").count() == 1
    used = m.OtpChallenge.get()
    assert used.used_at is not None and from_db(used.used_at) is not None


def test_concurrent_wrong_codes_are_all_counted(ctx, tfa):
    ctx.settings = ctx.settings.replace(lockout_threshold=100, otp_max_attempts=50)
    info, code = start(ctx)
    results = run_concurrently(ctx, 8, lambda i: auth.verify_otp(ctx, info.attempt, wrong(code)))
    assert all(kind == "err" and e.code == "otp_wrong" for kind, e in results)
    assert m.OtpChallenge.get().failures == 8
    assert row(tfa.admin.id).failed_count == 8
