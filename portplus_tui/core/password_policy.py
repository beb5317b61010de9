"""Password policy (SPEC R-ACC-3), pure and standard library only.

A password must be ``min_length``–``max_length`` characters (8–20 by default) of
half-width printable ASCII (0x21–0x7E: letters, digits, symbols; no space), with at least
one letter and one digit, must not equal the login ID or its part before ``@``
(case-insensitive), and must not be on the bundled list of common passwords
(``data/common-passwords.txt.gz``, see ``data/README.md``; compared case-insensitively).

:func:`check_password` raises :class:`ValidationError` naming the first rule that fails,
and nothing else whatever the input. The length is checked first and cheaply, so a huge
paste costs nothing; bcrypt (which refuses more than 72 bytes, R-LOG-3) therefore never
sees an over-long password.
"""

from __future__ import annotations

import functools
import gzip
import unicodedata
from importlib import resources

from portplus_tui.core.errors import ValidationError
from portplus_tui.core.messages import texts

__all__ = [
    "BCRYPT_MAX_BYTES",
    "DEFAULT_MAX_LENGTH",
    "DEFAULT_MIN_LENGTH",
    "POLICY_TEXT_EN",
    "POLICY_TEXT_JA",
    "check_password",
    "common_passwords",
    "is_common_password",
    "policy_text",
]

DEFAULT_MIN_LENGTH = 8
DEFAULT_MAX_LENGTH = 20
BCRYPT_MAX_BYTES = 72
"""bcrypt 5 raises on longer input; an accepted password is ASCII, so bytes == characters,
and ``max_length`` is capped at this value."""

_DATA_PACKAGE = "portplus_tui.core"
_DATA_FILE = "data/common-passwords.txt.gz"


def policy_text(lang: str = "ja", min_length: int = DEFAULT_MIN_LENGTH,
                max_length: int = DEFAULT_MAX_LENGTH) -> str:
    """The hint shown next to the password field, for other lengths than the default."""
    if lang == "ja":
        return f"{min_length}~{max_length}文字の半角英数字で英数字混在で入力してください(記号可)"
    return (f"{min_length}-{max_length} half-width characters, mixing letters and digits "
            "(symbols allowed)")


POLICY_TEXT_JA = policy_text("ja")
"""The manual's wording: 「8~20文字の半角英数字で英数字混在で入力してください(記号可)」."""
POLICY_TEXT_EN = policy_text("en")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords, lower-case; read once, on first use."""
    ref = resources.files(_DATA_PACKAGE).joinpath(_DATA_FILE)
    with ref.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        return frozenset(w for w in (line.strip().lower() for line in fh) if w)


def is_common_password(pw: str) -> bool:
    """True if ``pw`` is on the bundled list of common passwords (case-insensitive)."""
    if not isinstance(pw, str) or not pw:
        return False
    return pw.lower() in common_passwords()


def _is_full_width(ch: str) -> bool:
    """Full-width forms (ＡＢＣ１２３, ideographic space) and wide letters/punctuation
    (kana, kanji, 「」、。). Wide emoji and symbols count as other non-ASCII."""
    eaw = unicodedata.east_asian_width(ch)
    if eaw == "F":
        return True
    return eaw == "W" and unicodedata.category(ch)[0] in "LNPZ"


def _fail(ja: str, en: str, field: str) -> ValidationError:
    return ValidationError(ja, en, field=field)


def check_password(password: str, *, login_id: str | None = None,
                   min_length: int = DEFAULT_MIN_LENGTH,
                   max_length: int = DEFAULT_MAX_LENGTH,
                   field: str = "password") -> None:
    """Check ``password`` against the policy; raise :class:`ValidationError` on the first
    failed rule, in this order: empty, too short, too long, control character, full-width
    character, other non-ASCII character (or broken surrogate), space, no letter and no
    digit / no digit / no letter, equal to the login ID (or its local part), too common.

    ``max_length`` is capped at :data:`BCRYPT_MAX_BYTES`. Messages never echo the password.
    """
    max_length = min(max_length, BCRYPT_MAX_BYTES)
    if not isinstance(password, str) or not password:
        raise _fail(*texts('password_policy.check_password'), field)

    n = len(password)  # O(1): decided before looking at any character
    if n < min_length:
        raise _fail(
            *texts('password_policy.check_password.2', min_length=min_length),
            field,
        )
    if n > max_length:
        raise _fail(
            *texts('password_policy.check_password.3', max_length=max_length),
            field,
        )

    if not all("\x21" <= c <= "\x7e" for c in password):
        cats = [unicodedata.category(c) for c in password]
        if any(cat in ("Cc", "Cf", "Zl", "Zp") for cat in cats):
            raise _fail(
                *texts('password_policy.check_password.9'),
                field,
            )
        if any(cat != "Cs" and _is_full_width(c) for c, cat in zip(password, cats)):
            raise _fail(
                *texts('password_policy.check_password.10'),
                field,
            )
        if not password.isascii():  # accented letters, half-width kana, emoji, surrogates
            raise _fail(
                *texts('password_policy.check_password.11'),
                field,
            )
        # Only ASCII left outside 0x21-0x7E: the space (DEL and controls are Cc, above).
        raise _fail(
            *texts('password_policy.check_password.4'),
            field,
        )

    has_letter = any(c.isalpha() for c in password)  # ASCII only at this point
    has_digit = any(c.isdigit() for c in password)
    if not has_letter and not has_digit:
        raise _fail(
            *texts('password_policy.check_password.5'),
            field,
        )
    if not has_digit:
        raise _fail(
            *texts('password_policy.check_password.6'),
            field,
        )
    if not has_letter:
        raise _fail(
            *texts('password_policy.check_password.7'),
            field,
        )

    if login_id and isinstance(login_id, str):
        ident = unicodedata.normalize("NFKC", login_id).strip().lower()
        local = ident.rpartition("@")[0] if "@" in ident else ident
        low = password.lower()
        if low == ident or low == local:
            raise _fail(
                *texts('password_policy.check_password.12'),
                field,
            )

    if is_common_password(password):
        raise _fail(
            *texts('password_policy.check_password.8'),
            field,
        )
