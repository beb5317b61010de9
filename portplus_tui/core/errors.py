"""Typed errors with a user-facing message in Japanese and English.

Services raise these; screens and the CLI show ``err.message(lang)``. Anything else
that escapes a service call is a bug: it is logged and shown as a short generic message.
An error is built from the message catalogue (core/messages.py):
``ValidationError(*texts("calendar.parse_date"), field=...)``; it then carries the
catalogue ``key`` and its ``params`` and renders by key in the language asked for.
"""

from __future__ import annotations

from portplus_tui.core.messages import Sentence, texts


class PortPlusError(Sentence, Exception):
    """Base of every error a user may see. ``field`` names the input it is about."""

    code = "error"

    def __init__(self, ja: str, en: str, *, field: str | None = None, code: str | None = None):
        super().__init__(en)
        self.set_texts(ja, en)
        self.field = field
        if code is not None:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, field={self.field!r}, en={self.en!r})"


class ValidationError(PortPlusError):
    """Bad input: nothing was changed."""

    code = "invalid"


class NotFoundError(PortPlusError):
    """The thing does not exist, or belongs to another company (never told apart)."""

    code = "not_found"


class PermissionDenied(PortPlusError):
    """The acting account may not do this."""

    code = "forbidden"


class DeadlinePassed(PortPlusError):
    """An application's 申込期限 is over (R-CAL-2, R-CAL-4)."""

    code = "deadline"


class ConflictError(PortPlusError):
    """Someone else changed the row first (R-APP-6): reload and try again."""

    code = "conflict"


class AuthError(PortPlusError):
    """Login refused, session ended, or code wrong."""

    code = "auth"


class ConfigurationError(PortPlusError):
    """The store or a backend cannot be used as configured."""

    code = "config"


class DatabaseUnavailable(PortPlusError):
    """The database cannot be reached or is busy: nothing was changed; try again."""

    code = "database"


class DemoRefused(PortPlusError):
    """``portplus demo`` will not add its well-known logins to a database holding
    companies it did not create (nothing was written)."""

    code = "demo_refused"


def not_found(what_ja: str, what_en: str, field: str | None = None) -> NotFoundError:
    """「〈what〉が見つかりません。」 (``what`` already in each language)."""
    return NotFoundError(*texts('errors.not_found', what_ja=what_ja, what_en=what_en), field=field)


def refusal(key: str, *, field: str | None = None, **params: object) -> AuthError:
    """An ``AuthError`` with the catalogue's text ``key``; its code is the key's second
    part (``auth.otp_invalid`` gives ``otp_invalid``, ``auth.mail.2`` gives ``mail``,
    ``context.session_timeout`` gives ``session_timeout``)."""
    return AuthError(*texts(key, **params), code=key.split(".")[1], field=field)
