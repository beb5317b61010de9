"""The server's secret key as text: at least 32 random bytes, written as hex (64
characters) or URL-safe base64 (43 characters or more).

One-time and reset codes are stored as HMAC-SHA256 under this key (services.auth), so
a copy of the database alone does not reveal a live code. The key lives outside the
database and outside the data folder (setting ``secret_key`` from the environment, or
the file ``secret_key_file``). Nothing here ever puts the key into a message.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets

MIN_BYTES = 32
HOW_TO_MAKE = "python3 -c 'import secrets; print(secrets.token_hex(32))'"

_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+", re.ASCII)
_BASE64 = re.compile(r"[A-Za-z0-9_-]+={0,2}", re.ASCII)


class BadSecretKey(ValueError):
    """The text is not a usable key (the message never contains the text)."""


def new_key_text() -> str:
    """A fresh key as it is written to a key file: 64 hex characters."""
    return secrets.token_hex(MIN_BYTES)


def parse_key(text: str) -> bytes:
    """The key's bytes from its text (surrounding white space ignored)."""
    if not isinstance(text, str):
        raise BadSecretKey("the secret key must be text")
    clean = text.strip()
    key: bytes | None = None
    if _HEX.fullmatch(clean):
        key = bytes.fromhex(clean)
    elif _BASE64.fullmatch(clean):
        try:
            key = base64.urlsafe_b64decode(clean + "=" * (-len(clean) % 4))
        except (binascii.Error, ValueError):
            key = None
    if key is None or len(key) < MIN_BYTES:
        raise BadSecretKey(
            f"the secret key must be at least {MIN_BYTES} random bytes written as hex "
            f"({2 * MIN_BYTES} characters) or URL-safe base64; make one with: {HOW_TO_MAKE}")
    return key
