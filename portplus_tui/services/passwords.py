"""bcrypt hashing. Passwords are checked for length *before* bcrypt is called:
bcrypt 5 raises ValueError past 72 bytes, in ``checkpw`` too.

The dummy hash (R-LOG-2) that unknown accounts and unusable input are checked against
is *not* computed: any well-formed bcrypt string (``$2b$<cost>$``, 22 salt characters,
31 hash characters of bcrypt's base64 alphabet) makes ``bcrypt.checkpw`` run the full
key schedule of that cost and then compare, so it costs exactly what a real hash of the
same cost costs (measured: 0.30 s for both at cost 12) and can never match (no password
is known to produce those random 31 characters). Building one takes microseconds, so the
first unknown-account login of a fresh process (every SSH connection is one) costs one
bcrypt check like every other login, not a hash plus a check, and start-up pays nothing.
"""

from __future__ import annotations

import secrets
import threading

BCRYPT_MAX_BYTES = 72

_BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_SALT_CHARS = 22  # 16 bytes: the last character carries 2 bits (must be one of ".Oeu")
_HASH_CHARS = 31  # 23 bytes: the last character carries 4 bits

_dummy_lock = threading.Lock()
_dummy_hashes: dict[int, bytes] = {}


def _encode(password: str) -> bytes | None:
    try:
        raw = password.encode("utf-8")
    except (UnicodeEncodeError, AttributeError):
        return None
    if not raw or len(raw) > BCRYPT_MAX_BYTES or b"\x00" in raw:
        return None
    return raw


def hash_password(password: str, rounds: int = 12) -> str:
    import bcrypt

    raw = _encode(password)
    if raw is None:
        raise ValueError("password must be 1..72 bytes of UTF-8 without NUL (validate it first)")
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, hashed: str | None, rounds: int = 12) -> bool:
    """True when ``password`` matches ``hashed``. Always costs one bcrypt check, also
    when the password is unusable or there is no hash (unknown account): the time
    taken does not tell those cases apart."""
    import bcrypt

    raw = _encode(password)
    target = hashed.encode("ascii") if hashed else None
    if raw is None or target is None:
        burn_one_check(rounds)
        return False
    try:
        return bcrypt.checkpw(raw, target)
    except ValueError:  # a corrupt stored hash
        burn_one_check(rounds)
        return False


def burn_one_check(rounds: int = 12) -> None:
    """One bcrypt check of a fixed placeholder against the dummy hash: the cost of a
    wrong password, for paths that refuse the input without giving it to bcrypt."""
    import bcrypt

    bcrypt.checkpw(b"not-the-password", dummy_hash(rounds))


def _random_chars(n: int, last_from: str) -> str:
    return "".join(secrets.choice(_BCRYPT_ALPHABET) for _ in range(n - 1)) + secrets.choice(last_from)


def make_dummy_hash(rounds: int = 12) -> bytes:
    """A well-formed bcrypt hash of cost ``rounds`` made of random characters, built
    without hashing. The last salt and hash characters are canonical (the unused low
    bits zero): bcrypt refuses a salt whose last character is not."""
    if not 4 <= rounds <= 31:
        raise ValueError("bcrypt cost must be 4..31")
    salt = _random_chars(_SALT_CHARS, _BCRYPT_ALPHABET[::16])
    digest = _random_chars(_HASH_CHARS, _BCRYPT_ALPHABET[::4])
    return f"$2b${rounds:02d}${salt}{digest}".encode("ascii")


def dummy_hash(rounds: int = 12) -> bytes:
    """The process's dummy hash of cost ``rounds`` (made once, without hashing)."""
    with _dummy_lock:
        value = _dummy_hashes.get(rounds)
        if value is None:
            value = _dummy_hashes[rounds] = make_dummy_hash(rounds)
        return value
