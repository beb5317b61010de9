"""bcrypt hashing. Passwords are checked for length *before* bcrypt is called:
bcrypt 5 raises ValueError past 72 bytes, in ``checkpw`` too."""

from __future__ import annotations

import threading

BCRYPT_MAX_BYTES = 72

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
        bcrypt.checkpw(b"not-the-password", dummy_hash(rounds))
        return False
    try:
        return bcrypt.checkpw(raw, target)
    except ValueError:  # a corrupt stored hash
        bcrypt.checkpw(b"not-the-password", dummy_hash(rounds))
        return False


def dummy_hash(rounds: int = 12) -> bytes:
    with _dummy_lock:
        value = _dummy_hashes.get(rounds)
        if value is None:
            import bcrypt

            value = bcrypt.hashpw(b"dummy-password-for-timing", bcrypt.gensalt(rounds))
            _dummy_hashes[rounds] = value
        return value
