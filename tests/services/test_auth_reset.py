"""Password reset (R-RST-1, R-RST-2): same answer and work for unknown accounts,
single use, expiry, wrong tries, policy, lock cleared, two-factor kept, concurrency,
admin-sent reset mail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portplus_tui.core.errors import AuthError, NotFoundError, PermissionDenied, ValidationError
from portplus_tui.services import auth
from portplus_tui.services.mail import MailError
from portplus_tui.store import models as m

from .conftest import MEMBER_2FA
from .test_auth import (
    ADMIN_PW,
    MEMBER,
    USER_PW,
    auth_error,
    otp_in,
    reset_code_in,
    row,
    run_concurrently,
    sent,
)

NEW_PW = "fresh-pass-9"
FULL_WIDTH = str.maketrans("ABCDEFGHJKMNPQRSTUVWXYZ23456789-",
                           "ＡＢＣＤＥＦＧＨＪＫＭＮＰＱＲＳＴＵＶＷＸＹＺ２３４５６７８９－")


def request(ctx, member_no=MEMBER, email="user@example.com"):
    answer = auth.request_reset(ctx, member_no, email)
    assert auth.wait_for_mail(timeout=30)
    return answer


def requested_code(ctx, member_no=MEMBER, email="user@example.com") -> str:
    before = len(sent(ctx))
    request(ctx, member_no, email)
    assert len(sent(ctx)) == before + 1
    return reset_code_in(sent(ctx)[-1])


def complete(ctx, code, password=NEW_PW, member_no=MEMBER, email="user@example.com", confirm=None):
    auth.complete_reset(ctx, member_no, email, code, password,
                        password if confirm is None else confirm)


def logs_in(ctx, password, member_no=MEMBER, login_id="user@example.com") -> bool:
    try:
        auth.login(ctx, member_no, login_id, password)
    except AuthError:
        return False
    return True


# ------------------------------------------------------------------------------ request
def test_same_answer_whether_or_not_the_account_exists(ctx, tenant, other_tenant):
    m.Account.update(deleted=True).where(m.Account.id == other_tenant.user.id).execute()
    m.Account.update(expires=date(2026, 3, 1)).where(m.Account.id == other_tenant.admin.id).execute()
    answers = [
        request(ctx, MEMBER, "user@example.com"),  # exists
        request(ctx, MEMBER, "nobody@example.com"),  # unknown account
        request(ctx, "M00-00000", "user@example.com"),  # unknown member
        request(ctx, "M97-00999", "user@example.com"),  # deleted
        request(ctx, "M97-00999", "admin@example.com"),  # expired
    ]
    assert len(set(answers)) == 1
    assert answers[0].valid_minutes == 30
    assert answers[0].message("ja") == answers[1].message("ja")
    assert "30分" in answers[0].message("ja") and "30 minutes" in answers[0].message("en")
    # Only the live account got a mail and a token.
    assert [mail.to for mail in sent(ctx)] == ["user@example.com"]
    assert m.ResetToken.select().count() == 1
    assert m.AuditLog.select().where(m.AuditLog.action == "password.reset_request").count() == 5


def test_unknown_account_does_the_same_work(ctx, tenant, monkeypatch):
    """Same look-ups, a code hashed, the same token INSERT (which adds no row for an
    unknown account), an audit row, a mail built: only the hand-over of the mail to the
    background differs (test_sec_reset_same_work.py compares the statements fully)."""
    real_execute = ctx.db.execute_sql
    real_hash = auth.reset._hash_secret
    statements: list[str] = []
    hashes: list[int] = []
    mails: list[str] = []
    real_mail = auth.reset.reset_mail

    def spy_execute(sql, params=None, *args, **kwargs):
        statements.append(sql.split()[0].upper())
        return real_execute(sql, params, *args, **kwargs)

    def spy_hash(secret, key):
        hashes.append(1)
        return real_hash(secret, key)

    def spy_mail(to, *args):
        mails.append(to)
        return real_mail(to, *args)

    monkeypatch.setattr(ctx.db, "execute_sql", spy_execute)
    monkeypatch.setattr(auth.reset, "_hash_secret", spy_hash)
    monkeypatch.setattr(auth.reset, "reset_mail", spy_mail)

    auth.request_reset(ctx, MEMBER, "user@example.com")
    known = (list(statements), len(hashes), len(mails))
    statements.clear(), hashes.clear(), mails.clear()
    auth.request_reset(ctx, MEMBER, "nobody@example.com")
    unknown = (list(statements), len(hashes), len(mails))
    auth.wait_for_mail(timeout=30)

    assert known[1:] == unknown[1:] == (1, 1)
    assert known[0] == unknown[0]  # the token INSERT ... SELECT adds nothing for unknown
    assert unknown[0].count("INSERT") == 2  # the token and the audit row


def test_malformed_input_is_a_validation_error(ctx, tenant):
    with pytest.raises(ValidationError):
        auth.request_reset(ctx, "", "user@example.com")
    with pytest.raises(ValidationError):
        auth.request_reset(ctx, MEMBER, "not an address")
    assert sent(ctx) == []


def test_email_is_matched_case_insensitively(ctx, tenant):
    code = requested_code(ctx, "m97-00339", "USER@Example.COM")
    complete(ctx, code, member_no="M97-00339", email="user@example.com")
    assert logs_in(ctx, NEW_PW)


def test_mail_failure_gives_the_same_answer(ctx, tenant):
    ctx.get_mailer().fail = True
    answer = request(ctx)
    assert answer == auth.ResetRequested(valid_minutes=30)
    assert sent(ctx) == []


def test_mail_contains_code_and_member_number(ctx, tenant):
    request(ctx)
    mail = sent(ctx)[-1]
    assert mail.to == "user@example.com" and "パスワード再設定" in mail.subject
    assert MEMBER in mail.body and "30分" in mail.body
    code = reset_code_in(mail)
    assert all(c in auth.RESET_CODE_ALPHABET for c in code.replace("-", ""))
    assert code.replace("-", "") not in m.ResetToken.get().code_hash


# ------------------------------------------------------------------------------ complete
def test_code_sets_the_password_once(ctx, tenant):
    code = requested_code(ctx)
    complete(ctx, code)
    assert logs_in(ctx, NEW_PW) and not logs_in(ctx, USER_PW)
    assert auth_error(complete, ctx, code, "other-pass-8").code == "reset_failed"
    assert logs_in(ctx, NEW_PW)
    entry = m.AuditLog.select().where(m.AuditLog.action == "password.reset").get()
    assert entry.account_id == tenant.user.id and entry.company_id == tenant.company.id
    for r in m.AuditLog.select():
        text = " ".join(str(x) for x in (r.actor, r.target, r.before, r.after))
        assert code not in text and code.replace("-", "") not in text
        assert NEW_PW not in text and "$2b$" not in text


@pytest.mark.parametrize("transform", [
    lambda c: c,
    lambda c: c.replace("-", ""),
    lambda c: c.lower(),
    lambda c: f"  {c[:4]} {c[5:]}  ",
    lambda c: c.translate(FULL_WIDTH),
])
def test_code_input_forms(ctx, tenant, transform):
    code = requested_code(ctx)
    complete(ctx, transform(code))
    assert logs_in(ctx, NEW_PW)


@pytest.mark.parametrize("elapsed, ok", [
    (timedelta(minutes=29, seconds=59), True),
    (timedelta(minutes=30, seconds=1), False),
])
def test_code_expires_after_thirty_minutes(ctx, tenant, clock, elapsed, ok):
    code = requested_code(ctx)
    clock.advance(seconds=elapsed.total_seconds())
    if ok:
        complete(ctx, code)
        assert logs_in(ctx, NEW_PW)
    else:
        assert auth_error(complete, ctx, code).code == "reset_failed"
        assert logs_in(ctx, USER_PW)


def test_policy_refusal_keeps_the_old_password_and_the_code(ctx, tenant):
    code = requested_code(ctx)
    for bad in ("short1", "password1", "user@example.com", "abcdefgh", "x" * 10_000, "パスワード12345"):
        with pytest.raises(ValidationError):
            complete(ctx, code, bad)
    with pytest.raises(ValidationError) as info:
        complete(ctx, code, NEW_PW, confirm="fresh-pass-8")
    assert info.value.field == "new_password_confirm"
    assert logs_in(ctx, USER_PW)
    assert m.ResetToken.get().failures == 0
    complete(ctx, code)  # the code still works
    assert logs_in(ctx, NEW_PW)


@pytest.mark.parametrize("code", ["", "ABC", "ABCD-EFG0", "ABCD-EFGHJ", None, "\x00" * 8, "x" * 10_000])
def test_malformed_code_is_a_validation_error(ctx, tenant, code):
    requested_code(ctx)
    with pytest.raises(ValidationError):
        complete(ctx, code)
    assert m.ResetToken.get().failures == 0


def test_five_wrong_tries_void_the_code(ctx, tenant):
    code = requested_code(ctx)
    other = "AAAA-AAAA" if code != "AAAA-AAAA" else "BBBB-BBBB"
    errors = {auth_error(complete, ctx, other).code for _ in range(5)}
    assert errors == {"reset_failed"}
    assert auth_error(complete, ctx, code).code == "reset_failed"
    assert logs_in(ctx, USER_PW)
    # Wrong reset codes do not lock the account.
    assert row(tenant.user.id).failed_count == 0


def test_unknown_account_and_wrong_code_give_the_same_error(ctx, tenant):
    code = requested_code(ctx)
    other = "AAAA-AAAA" if code != "AAAA-AAAA" else "BBBB-BBBB"
    wrong = auth_error(complete, ctx, other)
    unknown = auth_error(complete, ctx, code, email="nobody@example.com")
    no_member = auth_error(complete, ctx, code, member_no="M00-00000")
    assert (wrong.code, wrong.ja, wrong.en) == (unknown.code, unknown.ja, unknown.en) \
        == (no_member.code, no_member.ja, no_member.en)


def test_code_of_one_account_does_not_reset_another(ctx, tenant):
    code = requested_code(ctx)
    assert auth_error(complete, ctx, code, email="admin@example.com").code == "reset_failed"
    assert logs_in(ctx, ADMIN_PW, login_id="admin@example.com")


def test_new_request_keeps_the_older_code(ctx, tenant, clock):
    """Issue 11 finding 6: a new request does not void a code already mailed."""
    first = requested_code(ctx)
    clock.advance(seconds=61)
    requested_code(ctx)
    complete(ctx, first)
    assert logs_in(ctx, NEW_PW)


def test_requests_within_a_minute_send_one_mail(ctx, tenant, clock):
    first = requested_code(ctx)
    clock.advance(seconds=30)
    answer = request(ctx)
    assert answer == auth.ResetRequested(valid_minutes=30)
    assert len(sent(ctx)) == 1
    complete(ctx, first)  # the first code is still valid
    assert logs_in(ctx, NEW_PW)


def test_reset_clears_the_lock(ctx, tenant):
    for _ in range(5):
        auth_error(auth.login, ctx, MEMBER, "user@example.com", "wrong-pass-1")
    assert auth_error(auth.login, ctx, MEMBER, "user@example.com", USER_PW).code == "locked"
    code = requested_code(ctx)
    complete(ctx, code)
    r = row(tenant.user.id)
    assert r.failed_count == 0 and r.locked_until is None
    assert logs_in(ctx, NEW_PW)


def test_reset_does_not_bypass_two_factor(ctx, tfa):
    code = requested_code(ctx, MEMBER_2FA)
    assert auth.complete_reset(ctx, MEMBER_2FA, "user@example.com", code, NEW_PW, NEW_PW) is None
    result = auth.login(ctx, MEMBER_2FA, "user@example.com", NEW_PW)
    assert result.needs_otp and result.session is None
    session = auth.verify_otp(ctx, result.challenge.attempt, otp_in(sent(ctx)[-1]))
    assert session.account_id == tfa.user.id


def test_reset_voids_a_pending_one_time_password(ctx, tfa):
    result = auth.login(ctx, MEMBER_2FA, "user@example.com", USER_PW)
    otp = otp_in(sent(ctx)[-1])
    complete(ctx, requested_code(ctx, MEMBER_2FA), member_no=MEMBER_2FA)
    assert auth_error(auth.verify_otp, ctx, result.challenge.attempt, otp).code == "otp_invalid"


def test_deleted_account_cannot_complete_a_reset(ctx, tenant):
    code = requested_code(ctx)
    m.Account.update(deleted=True).where(m.Account.id == tenant.user.id).execute()
    assert auth_error(complete, ctx, code).code == "reset_failed"


def test_account_expired_since_the_request_cannot_complete_the_reset(ctx, tenant, clock):
    m.Account.update(expires=date(2026, 3, 2)).where(m.Account.id == tenant.user.id).execute()
    clock.set(clock.now.replace(hour=14, minute=50))  # 23:50 JST, the last day
    code = requested_code(ctx)
    clock.advance(minutes=10)  # 00:00 JST on 03-03: expired; the code is 10 minutes old
    assert auth_error(complete, ctx, code).code == "reset_failed"
    entry = (m.AuditLog.select().where(m.AuditLog.action == "password.reset_failure")
             .order_by(m.AuditLog.id.desc()).get())
    assert '"account_not_live"' in entry.after
    # Nothing changed: once the expiry is extended, the same code still works.
    m.Account.update(expires=date(2099, 12, 31)).where(m.Account.id == tenant.user.id).execute()
    complete(ctx, code)
    assert logs_in(ctx, NEW_PW)


@pytest.mark.parametrize("state", ["expired", "deleted"])
def test_self_service_request_for_a_dead_account_sends_nothing(ctx, tenant, state):
    known = request(ctx, MEMBER, "admin@example.com")
    sent(ctx).clear()
    if state == "expired":
        m.Account.update(expires=date(2026, 3, 1)).where(m.Account.id == tenant.user.id).execute()
    else:
        m.Account.update(deleted=True).where(m.Account.id == tenant.user.id).execute()
    answer = request(ctx, MEMBER, "user@example.com")
    assert answer == known == request(ctx, MEMBER, "nobody@example.com")
    assert sent(ctx) == []
    assert m.ResetToken.select().where(m.ResetToken.account == tenant.user.id).count() == 0


def test_ten_threads_completing_the_same_reset_one_succeeds(ctx, tenant):
    code = requested_code(ctx)
    results = run_concurrently(ctx, 10, lambda i: complete(ctx, code, f"thread-pass-{i}"))
    winners = [i for i, (kind, _) in enumerate(results) if kind == "ok"]
    errors = [value for kind, value in results if kind == "err"]
    assert len(winners) == 1
    assert len(errors) == 9 and all(isinstance(e, AuthError) and e.code == "reset_failed"
                                    for e in errors), errors
    assert logs_in(ctx, f"thread-pass-{winners[0]}")
    assert m.AuditLog.select().where(m.AuditLog.action == "password.reset").count() == 1


# ------------------------------------------------------------------------------ admin
def test_admin_sends_reset_mail_to_an_account_of_the_company(ctx, tenant):
    assert auth.admin_send_reset(ctx, tenant.admin_session, tenant.user.id) is None
    mail = sent(ctx)[-1]
    assert mail.to == "user@example.com" and MEMBER in mail.body
    complete(ctx, reset_code_in(mail))
    assert logs_in(ctx, NEW_PW)
    entry = m.AuditLog.select().where(m.AuditLog.action == "password.reset_mail").get()
    assert entry.actor == "admin@example.com" and entry.target == "user@example.com"
    assert reset_code_in(mail) not in " ".join(str(x) for x in (entry.before, entry.after))


def test_user_cannot_send_reset_mail(ctx, tenant):
    with pytest.raises(PermissionDenied):
        auth.admin_send_reset(ctx, tenant.user_session, tenant.admin.id)
    assert sent(ctx) == [] and m.ResetToken.select().count() == 0


def test_admin_cannot_reach_another_company(ctx, tenant, other_tenant):
    for account_id in (other_tenant.user.id, other_tenant.admin.id, 999_999, "1", None):
        with pytest.raises(NotFoundError):
            auth.admin_send_reset(ctx, tenant.admin_session, account_id)
    assert sent(ctx) == [] and m.ResetToken.select().count() == 0


def test_admin_cannot_reach_a_deleted_account(ctx, tenant):
    m.Account.update(deleted=True).where(m.Account.id == tenant.user.id).execute()
    with pytest.raises(NotFoundError):
        auth.admin_send_reset(ctx, tenant.admin_session, tenant.user.id)


def test_admin_cannot_send_a_reset_mail_to_an_expired_account(ctx, tenant):
    m.Account.update(expires=date(2026, 3, 1)).where(m.Account.id == tenant.user.id).execute()
    audit_before = m.AuditLog.select().count()
    with pytest.raises(ValidationError) as info:
        auth.admin_send_reset(ctx, tenant.admin_session, tenant.user.id)
    err = info.value
    assert err.code == "account_expired" and err.field == "account_id"
    assert err.ja == ("有効期限が切れたアカウントにはパスワード再設定メールを送信できません。"
                      "先に有効期限を延長してください。")
    assert err.en.startswith("The account has expired")
    assert sent(ctx) == [] and m.ResetToken.select().count() == 0
    assert m.AuditLog.select().count() == audit_before
    # The expiry day itself (Japan time) is still live.
    m.Account.update(expires=date(2026, 3, 2)).where(m.Account.id == tenant.user.id).execute()
    auth.admin_send_reset(ctx, tenant.admin_session, tenant.user.id)
    assert [mail.to for mail in sent(ctx)] == ["user@example.com"]


def test_admin_reset_mail_failure_changes_nothing(ctx, tenant):
    first = requested_code(ctx)
    ctx.get_mailer().fail = True
    with pytest.raises(MailError):
        auth.admin_send_reset(ctx, tenant.admin_session, tenant.user.id)
    ctx.get_mailer().fail = False
    complete(ctx, first)  # the earlier code was not voided
    assert logs_in(ctx, NEW_PW)


def test_admin_reset_keeps_the_older_code_until_one_is_used(ctx, tenant):
    first = requested_code(ctx)
    auth.admin_send_reset(ctx, tenant.admin_session, tenant.user.id)
    second = reset_code_in(sent(ctx)[-1])
    complete(ctx, second)
    if first != second:  # the successful reset voids every other code
        assert auth_error(complete, ctx, first, "other-pass-7").code == "reset_failed"
