"""Settings: defaults < TOML file < PORTPLUS_* environment < command-line flags.

Every number SPEC.md calls configurable is a field here. The TOML file holds the
field names as top-level keys (see README, "Configuration"); the environment
variable of a field is ``PORTPLUS_`` + the field name in upper case.

Only the standard library and platformdirs are imported here: this module is on
the path to the first painted screen (and ``tomllib`` only when there is a file to read).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

APP_NAME = "portplus"


class ConfigError(ValueError):
    """A setting has a value that cannot be used (bad type, out of range, unknown key)."""


def _default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_config_file() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


@dataclass(frozen=True)
class Settings:
    """Every setting of the app (the module docstring says where each comes from).

    (Having a docstring also spares @dataclass building one with inspect at start-up.)
    """

    # Where things live
    data_dir: Path | None = None  # None: platformdirs user data dir
    database_url: str | None = None  # None: sqlite:///<data_dir>/portplus.db
    log_dir: Path | None = None  # None: user log dir, or <data_dir>/logs when data_dir is set
    lang: str = "ja"
    # "ascii": box lines, input edges, scrollbars and tab bars drawn without East-Asian
    # ambiguous-width glyphs (R-UI-3; safe in every terminal). "unicode": Textual's own
    # block and box glyphs, for terminals known to draw them one cell wide.
    glyphs: str = "ascii"

    # Passwords and login (SPEC §2, §4, §9)
    bcrypt_rounds: int = 12
    password_min_length: int = 8
    password_max_length: int = 20
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    idle_timeout_minutes: int = 30

    # Two-step login and reset (SPEC §3, §4)
    otp_valid_minutes: int = 30
    otp_max_attempts: int = 5
    otp_resend_seconds: int = 60
    reset_valid_minutes: int = 30

    # Calendar (SPEC §5)
    deadline_business_days: int = 2
    year_end_closure: bool = True
    closing_day: int = 20

    # Applications (SPEC §6, §7)
    max_days_ahead: int = 365
    min_ports: int = 1
    max_ports: int = 999
    default_page_size: int = 10

    # Mail (SPEC §3, §4, R-APP-8)
    mail_backend: str = "file"  # file | smtp | memory
    mail_from: str = "portplus@localhost"
    mail_on_application: bool = True
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls | tls | none
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)  # environment only
    smtp_timeout: int = 10

    # Store
    sqlite_busy_timeout_ms: int = 5000

    # ------------------------------------------------------------------ derived
    @property
    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir) if self.data_dir else _default_data_dir()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_data_dir / 'portplus.db'}"

    @property
    def outbox_dir(self) -> Path:
        return self.resolved_data_dir / "outbox"

    @property
    def resolved_log_dir(self) -> Path:
        if self.log_dir:
            return Path(self.log_dir)
        if self.data_dir:
            return Path(self.data_dir) / "logs"
        from platformdirs import user_log_dir

        return Path(user_log_dir(APP_NAME, appauthor=False))

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)

    def validate(self) -> "Settings":
        positive = (
            "bcrypt_rounds", "password_min_length", "password_max_length",
            "lockout_threshold", "lockout_minutes", "idle_timeout_minutes",
            "otp_valid_minutes", "otp_max_attempts", "reset_valid_minutes",
            "max_days_ahead", "min_ports", "max_ports", "default_page_size",
            "smtp_port", "smtp_timeout",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        if not 4 <= self.bcrypt_rounds <= 31:
            raise ConfigError("bcrypt_rounds must be between 4 and 31")
        if self.password_max_length > 72:
            raise ConfigError("password_max_length must be at most 72 (bcrypt's limit)")
        if self.password_min_length > self.password_max_length:
            raise ConfigError("password_min_length must not exceed password_max_length")
        if self.min_ports > self.max_ports:
            raise ConfigError("min_ports must not exceed max_ports")
        if self.deadline_business_days < 0:
            raise ConfigError("deadline_business_days must be 0 or more")
        if self.otp_resend_seconds < 0:
            raise ConfigError("otp_resend_seconds must be 0 or more")
        if not 1 <= self.closing_day <= 28:
            raise ConfigError("closing_day must be between 1 and 28")
        if self.default_page_size not in PAGE_SIZES:
            raise ConfigError(f"default_page_size must be one of {PAGE_SIZES}")
        if self.lang not in ("ja", "en"):
            raise ConfigError("lang must be 'ja' or 'en'")
        if self.glyphs not in ("ascii", "unicode"):
            raise ConfigError("glyphs must be 'ascii' or 'unicode'")
        if self.mail_backend not in ("file", "smtp", "memory"):
            raise ConfigError("mail_backend must be file, smtp or memory")
        if self.smtp_security not in ("starttls", "tls", "none"):
            raise ConfigError("smtp_security must be starttls, tls or none")
        return self


PAGE_SIZES = (10, 20, 50, 100)

# Secrets are never read from the TOML file (it may be world-readable or committed).
_ENV_ONLY = {"smtp_password"}


def _coerce(name: str, raw: Any, annotation: str) -> Any:
    text_type = annotation.replace(" | None", "")
    if raw is None:
        return None
    try:
        if text_type == "bool":
            if isinstance(raw, bool):
                return raw
            value = str(raw).strip().lower()
            if value in ("1", "true", "yes", "on"):
                return True
            if value in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if text_type == "int":
            if isinstance(raw, bool):
                raise ValueError(raw)
            return int(raw)
        if text_type == "Path":
            return Path(str(raw)).expanduser()
        return str(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: cannot use {raw!r} (expected {text_type})") from None


_FIELDS = {f.name: f for f in fields(Settings)}


def _apply(values: dict[str, Any], source: Mapping[str, Any], where: str) -> None:
    for key, raw in source.items():
        if key not in _FIELDS:
            raise ConfigError(f"{where}: unknown setting {key!r}")
        values[key] = _coerce(key, raw, str(_FIELDS[key].type))


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the settings from all four layers.

    ``config_file``: an explicit file (must exist), else the platformdirs config file
    when present. ``env``: defaults to ``os.environ``. ``overrides``: command-line flags
    (``None`` values are ignored).
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}

    path: Path | None
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
    elif env.get("PORTPLUS_CONFIG"):
        path = Path(env["PORTPLUS_CONFIG"])
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
    else:
        path = default_config_file()
        if not path.is_file():
            path = None
    if path is not None:
        import tomllib

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        secret = _ENV_ONLY & data.keys()
        if secret:
            raise ConfigError(
                f"{path}: {', '.join(sorted(secret))} may only come from the environment "
                f"(PORTPLUS_{next(iter(secret)).upper()})"
            )
        _apply(values, data, str(path))

    from_env = {
        name: env[f"PORTPLUS_{name.upper()}"]
        for name in _FIELDS
        if f"PORTPLUS_{name.upper()}" in env
    }
    _apply(values, from_env, "environment")
    if overrides:
        _apply(values, {k: v for k, v in overrides.items() if v is not None}, "command line")
    return Settings(**values).validate()
