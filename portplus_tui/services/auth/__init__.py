"""Login, two-step login, password reset, own password change, sessions (SPEC §2–§4).

The package: ``password_login`` (the password step), ``otp`` (the mailed code),
``reset`` (reset by code, the administrator's reset mail, own password change),
``session`` (activity, check, logout), and ``common`` (what they share). Callers import
the public calls from here: ``from portplus_tui.services import auth``; ``auth.login(...)``.

Public calls (all take the ``AppContext``; none returns a Model row)::

    login(ctx, member_no, login_id, password) -> LoginResult
    verify_otp(ctx, attempt, code) -> Session
    resend_otp(ctx, attempt) -> OtpChallengeInfo
    cancel_otp(ctx, attempt) -> None
    request_reset(ctx, member_no, email) -> ResetRequested
    complete_reset(ctx, member_no, email, code, new_password, new_password_confirm) -> None
    admin_send_reset(ctx, session, account_id) -> None
    change_own_password(ctx, session, current, new, confirm) -> None
    touch(ctx, session) -> Session          (user activity: checks and extends)
    check_session(ctx, session) -> Session  (checks only, e.g. from a UI timer)
    logout(ctx, session) -> None
    wait_for_mail(timeout) -> bool          (reset mails go out in the background)

Decisions (SPEC leaves them open; the README quotes this list)
---------------------------------------------------------------

Login and enumeration (R-LOG-2..4)
  * One message, code ``login_failed``, for: a member number that is malformed or
    unknown, an unknown account, a wrong password, a deleted account and an expired
    account (with the right password, too). Every call costs exactly one bcrypt check,
    whatever the case: unknown accounts and unusable input (empty, NUL, broken
    surrogates) verify against a dummy hash (``passwords.verify_password``). The dummy
    hash is a well-formed bcrypt string of the configured cost built without hashing,
    so the first unknown-account login of a fresh process costs one check too. The
    database work around it (the company and the account look-ups, the account one
    with company id 0 for an unknown member number, and one audit insert, plus the
    counter update for a known account) is small next to bcrypt.
  * Input longer than the policy allows (``password_max_length``, 20 by default; never
    more than bcrypt's 72 bytes) is refused before bcrypt (R-LOG-3): it is never given
    to bcrypt; one check of a fixed placeholder against the dummy hash runs instead,
    so the refusal takes the time of a wrong password and tells nothing about the
    account. For a live account it counts as a failure (audit reason ``too_long``).
    Consequence: lowering ``password_max_length`` makes longer existing passwords
    unusable; those people reset their password (the code mail is the way back).
  * Lockout, as django-axes does it: ``lockout_threshold`` consecutive failures of a
    live account set ``locked_until = now + lockout_minutes``. While locked, the
    account answers with code ``locked`` (naming the minutes left) *whatever the
    password*: the password is still run through bcrypt (same cost) but its result is
    ignored, so a lock is never an oracle for the right password, and attempts during
    a lock are not counted (the lock is not extended). The lock message is only given
    for a live (not deleted, not expired) account; deleted and expired accounts always
    get ``login_failed``. Residual, accepted: someone who makes ``threshold`` failed
    attempts learns that an account exists (axes also counts unknown user names; that
    would need a throttle table keyed by member number + login id, which the schema
    does not have yet).
    The failure that reaches the threshold already answers ``locked``.
  * Counters are changed with one SQL UPDATE (``failed_count = failed_count + 1``,
    the lock computed in the same statement from the old values), so concurrent
    failures are all counted. When an expired lock is found by the next failure, the
    count restarts at 1. A successful login sets ``failed_count = 0`` and clears
    ``locked_until`` with a guarded UPDATE (only if the account is still live and not
    locked), so a lock set by a concurrent attempt wins.
  * Member numbers are matched case-insensitively (``normalize_member_no``), login ids
    by ``email_key``. A login id that is not printable text or is longer than 254
    characters is treated as unknown without a query.
  * Audit: ``login.success``, ``login.failure`` (with a reason), ``login.locked`` (when
    the lock is set, and when a locked account is refused). The actor is the login id
    as typed, with non-printable characters removed, at most 100 characters, when it
    names an account of the company; otherwise only a syntactically valid e-mail
    address is kept and anything else is recorded as ``(not an e-mail address)``
    (``NOT_AN_ADDRESS``): a password typed into the login-ID field never reaches the
    audit log. The target is the member number only when it names a company (as
    stored, e.g. ``M97-00339`` for ``ｍ９７－００３３９``); otherwise
    ``(unknown member number)`` (``UNKNOWN_MEMBER_NO``) when the text has the
    member-number shape, ``(not a member number)`` (``NOT_A_MEMBER_NO``) when not:
    text typed into the member-number field is never stored as typed (issue 11
    finding 9: a password typed into the wrong field reached the audit log; the shape
    alone is no guard, most passwords of the policy have it). The same holds for
    ``request_reset`` and ``complete_reset``. The company is recorded when the
    member number is known. Never a password. Nothing about a login is written to
    the log file.

Two-step login (R-OTP-1..3)
  * After a correct password for a company with the ``two_factor`` option, a
    6-digit code (``secrets.randbelow``) is mailed and ``LoginResult.challenge`` is
    returned. ``attempt`` is ``secrets.token_urlsafe(32)``; the database keeps only
    its SHA-256 (a database reader cannot complete someone's pending login).
  * Codes are stored as ``hmac-sha256k$<key id>$<salt>$<digest>``: HMAC-SHA256, under the
    server's secret key (``AppContext.secret_key``: not in the database, not in the data
    folder), of a per-challenge random salt followed by the code, so a copy of the
    database alone does not give away a live code (10^6 guesses of a keyless hash
    did, in under a second). Replacing the key voids the codes pending. A fast hash
    is enough here: a code lives ``otp_valid_minutes``, is used once and allows
    ``otp_max_attempts`` wrong entries, so what a leaked backup holds is expired by
    the time anyone reads it; a slow hash would only make each
    verification (and a flood of them) expensive. Comparison is constant-time.
  * The mail is sent *before* anything is written: when it fails (``MailError``) the
    login fails with code ``mail``, no challenge exists, the failure count is not
    touched (a correct password is not a failure) and an audit row notes it.
  * A new challenge voids the account's older live challenges (at most one live code
    per account).
  * The password step does *not* reset ``failed_count`` for a two-factor company;
    only a verified code does. Wrong codes count towards the account lockout as well
    as towards the challenge's own limit: otherwise someone who knows the password
    could log in again and again for fresh sets of guesses.
  * ``verify_otp``: valid while ``now <= issued_at + otp_valid_minutes`` (29:59 yes,
    30:01 no); full-width digits, spaces and hyphens are accepted; input that is not
    6 digits is refused (``otp_format``) without counting. The account is re-read:
    deleted or expired in between gives ``login_failed``, locked gives ``locked``,
    and the challenge is voided. Single use: ``UPDATE … SET used_at WHERE id AND
    used_at IS NULL AND voided = false AND version = ?``; only the caller whose
    UPDATE changed one row gets a Session.
  * ``resend_otp`` keeps the *same attempt id* and replaces the code (the old one is
    void at once: its hash is gone and the version moved). It is allowed
    ``otp_resend_seconds`` after the last issue; the wrong-entry count carries over
    (a resend is not a fresh set of guesses). The mail goes out first; if it fails
    the old code stays valid. If two resends race, one wins and the other's mail
    holds a dead code.
  * ``cancel_otp`` voids the challenge (idempotent, silent for unknown attempts).

Password reset (R-RST-1, R-RST-2)
  * The code is 8 characters from ``ABCDEFGHJKMNPQRSTUVWXYZ23456789`` (no 0/O, 1/I/L),
    about 40 bits, mailed as ``ABCD-EFGH``; input is case-insensitive, full-width and
    hyphens/spaces are accepted. Stored as salted HMAC-SHA256 like OTP codes; valid
    ``reset_valid_minutes``; single use (same guarded UPDATE as OTP); ``otp_max_attempts``
    wrong entries void it; a successful reset voids every other reset token and every
    pending OTP challenge of the account.
  * A new request (self-service or admin-sent) does *not* void a code already mailed
    (otherwise anyone who knows a login ID could keep voiding the owner's code): each
    live code works until it is used, voided or expires. The alternatives were worse:
    sending nothing while a code is live strands a user whose mail was lost, and the
    same code cannot be sent again (only its hash is stored). Several live codes give
    no more guesses: a wrong entry counts against *every* live code of the account, so
    ``otp_max_attempts`` wrong entries void them all. ``complete_reset`` compares the
    input with the ``RESET_CODES_CHECKED`` (10) newest live codes, always that many
    comparisons (padded with a dummy), so the time tells nothing about how many are
    live; self-service requests are limited (below), so more than 10 live codes only
    arise from many admin sends, and then the older ones cannot be used.
  * ``request_reset`` gives the same ``ResetRequested`` value whether or not the
    account exists, and does the same work (issue 11 finding 10: the time differed by
    0.3-0.6 ms between the cases): for a live account, an unknown account, an unknown
    (well-formed) member number, a deleted or expired account and a throttled request
    it runs the same statements in the same order, parameters aside: the company
    look-up, the account look-up (company id 0 when the member number is unknown),
    on PostgreSQL the row lock, the throttle count, the token INSERT (``INSERT ...
    SELECT`` from the account row, which adds nothing unless a mail is sent) and the
    audit INSERT; and a code, its hash and the mail are built in every case
    (``bench/reset_timing.py`` prints the timings; a test compares the statements).
    Only a live account (not deleted, not expired) gets a token and a mail. That
    mail is handed to a background thread (module-level pool, joined at interpreter
    exit), so SMTP latency is not part of the answer's time and cannot tell the
    cases apart; for the same reason a mail failure is not
    reported to the caller (that would reveal the account), only logged.
    ``wait_for_mail`` waits for pending deliveries (tests, the CLI).
  * Mail-bombing guard: at most ``reset_mail_limit`` (3) reset mails per account in
    any ``reset_mail_window_minutes`` (15): the ResetToken rows issued for the account
    in the window are counted *whatever their state* (voided by wrong entries, used,
    expired), so "request, five wrong codes, request again" cannot flood a mailbox
    (it sent 50 mails in 0.8 s before). Also, when a live token was issued less than
    ``otp_resend_seconds`` ago, a new request issues nothing (the earlier code stays
    valid). Either way the answer and the audit row are the same (``sent`` false in
    the row). One statement counts both; on PostgreSQL the account row is locked
    first (``FOR NO KEY UPDATE``) so concurrent requests count one after another (on
    SQLite the write transaction is ``BEGIN IMMEDIATE``). Admin-sent mails are not
    limited but their tokens count towards the self-service limit.
  * ``complete_reset`` checks the format, the confirmation and the policy first (no
    try is consumed), then the code. All code failures (no token, wrong, expired,
    voided, used, unknown account, an account deleted or expired since the code was
    sent) give one message, code ``reset_failed`` (an expired code is simply no
    longer among the live ones: audit reason ``no_token``). Wrong codes count towards
    the tokens only, not the account lockout (reset is the way out of a lock). Success
    sets the hash, clears ``failed_count`` and ``locked_until``, audits
    ``password.reset``. It does not log in: the next login of a two-factor company still
    asks for a one-time password.
  * ``admin_send_reset``: admin of the same company only (``authorize(admin=True)``;
    other company or deleted account: NotFound; an expired account: ValidationError
    code ``account_expired``, nothing sent). The mail is sent synchronously (an
    admin may see a ``MailError``) and before the token is stored, so a failure
    changes nothing. No throttle; older live codes stay valid. The admin never sees
    the code.

Own password, sessions
  * ``change_own_password``: confirmation and policy first; a locked account is
    refused at once with ``locked`` (before bcrypt, nothing counted, nothing written);
    then the current password with bcrypt. A wrong current password counts as a
    failed authentication (so an unattended terminal cannot be used to guess it: the
    lock then stops further tries). The new password must differ from the current
    one. The UPDATE that stores it matches only the row as read: same ``version``,
    not deleted, not locked (``locked_until`` empty or past) *and the same
    ``failed_count``* (failures do not move the version). So a lock, or a failure,
    counted by a concurrent attempt while bcrypt ran wins: the change is refused
    with ``locked`` (or ``ConflictError`` when a failure was counted without a lock)
    and nothing is written; 20 concurrent calls with one right password never change
    a locked account. Success voids pending OTP challenges and reset tokens; audits
    ``password.change``.
  * A lock from failed logins guards the password, not the sessions already logged
    in (R-SEC-4): anyone who knows a login ID can set it, so it must not be a way to
    throw the owner out. A locked account cannot log in, verify a code or change its
    password; its open sessions go on.
  * A password change or a completed reset (self-service or admin-sent) ends every
    *other* session of the account at its next call (R-SEC-4; Django's session auth
    hash): a Session made at login / OTP verification carries ``credential``, a short
    SHA-256 of the account's password hash (``context.credential_stamp``; never the
    bcrypt hash itself), and ``authorize`` compares it with the stored hash each call
    (constant-time), answering ``AuthError`` code ``session_password_changed``
    (「パスワードが変更されたため、ログアウトしました。…」) on a mismatch. The session
    that changed its own password gets the new value in place and goes on. Provider
    sessions have no account and are not affected; a profile update, unlock or role
    change does not touch the hash and ends nothing.
  * ``touch`` and ``check_session`` use ``context.authorize`` (idle timeout, deleted,
    expired, password changed elsewhere, role re-read; not the lock).
    ``check_session`` does not count as activity.
  * ``logout`` records ``logout``; sessions are values held by the UI, which drops it.
"""

from __future__ import annotations

from portplus_tui.services.auth.common import (
    NOT_A_MEMBER_NO,
    NOT_AN_ADDRESS,
    OTP_DIGITS,
    RESET_CODE_ALPHABET,
    RESET_CODE_LENGTH,
    UNKNOWN_MEMBER_NO,
    LoginResult,
    OtpChallengeInfo,
    ResetRequested,
    wait_for_mail,
)
from portplus_tui.services.auth.otp import cancel_otp, resend_otp, verify_otp
from portplus_tui.services.auth.password_login import login
from portplus_tui.services.auth.reset import admin_send_reset, change_own_password, complete_reset, request_reset
from portplus_tui.services.auth.session import check_session, logout, touch

__all__ = [
    "NOT_AN_ADDRESS",
    "NOT_A_MEMBER_NO",
    "OTP_DIGITS",
    "RESET_CODE_LENGTH",
    "UNKNOWN_MEMBER_NO",
    "LoginResult",
    "OtpChallengeInfo",
    "RESET_CODE_ALPHABET",
    "ResetRequested",
    "admin_send_reset",
    "cancel_otp",
    "change_own_password",
    "check_session",
    "complete_reset",
    "login",
    "logout",
    "request_reset",
    "resend_otp",
    "touch",
    "verify_otp",
    "wait_for_mail",
]

