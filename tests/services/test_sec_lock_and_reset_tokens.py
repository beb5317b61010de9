"""Issue 11, finding 6 (reset codes): knowing a login ID must not let anyone keep its
owner out (the lock part is in test_sec_lock_keeps_sessions.py).

- A new reset request (self-service or admin-sent) does not void a code already
  mailed: every live code stays usable until it is used, voided or expires.
- ``complete_reset`` checks the code against each live token with constant work."""

from __future__ import annotations

from portplus_tui.services import auth
from portplus_tui.store import models as m

from .test_auth import MEMBER, USER_PW, auth_error, reset_code_in, sent

NEW_PW = "fresh-pass-9"


def requested_code(ctx) -> str:
    before = len(sent(ctx))
    auth.request_reset(ctx, MEMBER, "user@example.com")
    assert auth.wait_for_mail(timeout=30)
    assert len(sent(ctx)) == before + 1
    return reset_code_in(sent(ctx)[-1])


def complete(ctx, code, password=NEW_PW):
    auth.complete_reset(ctx, MEMBER, "user@example.com", code, password, password)


def logs_in(ctx, password) -> bool:
    try:
        return auth.login(ctx, MEMBER, "user@example.com", password).session is not None
    except auth.AuthError:
        return False


# ------------------------------------------------------------------------- reset codes
def test_a_new_request_keeps_the_code_already_mailed(ctx, tenant, clock):
    first = requested_code(ctx)
    clock.advance(seconds=61)
    second = requested_code(ctx)
    assert first != second
    complete(ctx, first)  # the first mail still works
    assert logs_in(ctx, NEW_PW)
    # a successful reset voids every other code
    assert auth_error(complete, ctx, second, "other-pass-7").code == "reset_failed"


def test_either_live_code_works(ctx, tenant, clock):
    first = requested_code(ctx)
    clock.advance(seconds=61)
    second = requested_code(ctx)
    assert first != second
    complete(ctx, second)
    assert auth_error(complete, ctx, first, "other-pass-7").code == "reset_failed"
    assert logs_in(ctx, NEW_PW)


def test_an_admin_sent_code_does_not_void_the_mailed_one(ctx, tenant):
    first = requested_code(ctx)
    auth.admin_send_reset(ctx, tenant.admin_session, tenant.user.id)
    assert reset_code_in(sent(ctx)[-1]) != first
    complete(ctx, first)
    assert logs_in(ctx, NEW_PW)


def test_wrong_codes_count_against_every_live_code(ctx, tenant, clock):
    first = requested_code(ctx)
    clock.advance(seconds=61)
    second = requested_code(ctx)
    for _ in range(5):
        assert auth_error(complete, ctx, "ABCD-EFGH").code == "reset_failed"
    # five wrong entries void every live code: more live codes give no more guesses
    for code in (first, second):
        assert auth_error(complete, ctx, code).code == "reset_failed"
    assert logs_in(ctx, USER_PW)


def test_the_code_check_is_constant_work(ctx, tenant, clock, monkeypatch):
    """As many code comparisons with 0, 1 or 3 live tokens, and for an unknown
    account: the number of live codes does not show in the time of an answer."""
    real = auth.reset._check_secret
    calls: list[int] = []

    def counting(secret, stored, key):
        calls.append(1)
        return real(secret, stored, key)

    monkeypatch.setattr(auth.reset, "_check_secret", counting)
    counts = []

    def attempt(email="user@example.com"):
        calls.clear()
        auth_error(auth.complete_reset, ctx, MEMBER, email, "ABCD-EFGH", NEW_PW, NEW_PW)
        counts.append(len(calls))

    attempt()
    attempt("nobody@example.com")
    requested_code(ctx)
    attempt()
    for _ in range(2):
        clock.advance(seconds=61)
        requested_code(ctx)
    assert m.ResetToken.select().where(~m.ResetToken.voided).count() == 3
    attempt()
    assert len(set(counts)) == 1 and counts[0] >= 3, counts
