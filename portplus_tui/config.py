"""Settings: defaults < system TOML file < user TOML file < PORTPLUS_* environment <
command-line flags.

The system file (``/etc/portplus/config.toml``, or the file ``PORTPLUS_SYSTEM_CONFIG``
names) is the host's: what an administrator sets for every OS user that runs the app
(the SSH deployment). The user file (``--config``, ``PORTPLUS_CONFIG``, else the user
config folder's ``config.toml``) is read after it and wins.

Every number SPEC.md calls configurable is a field here. The TOML file holds the
field names as top-level keys (see README, "Configuration"); the environment
variable of a field is ``PORTPLUS_`` + the field name in upper case.

Only the standard library, platformdirs and the message catalogue (core/messages.py,
which the first screen needs anyway) are imported here: this module is on the path to
the first painted screen (and ``tomllib`` only when there is a file to read).
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from portplus_tui.core.messages import Sentence, texts

APP_NAME = "portplus"


class ConfigError(Sentence, ValueError):
    """A setting has a value that cannot be used (bad type, out of range, unknown key).

    Built from the catalogue (``ConfigError(*texts("config.closing_day"))``, keys
    ``config.*``); ``str(exc)`` is the English message; ``message(lang)`` gives it in
    the user's language (as ``core.errors.PortPlusError.message`` does). ``lang`` is the
    language the settings asked for as far as they were read before the error (else
    ``None``).
    """

    def __init__(self, ja: str, en: str):
        super().__init__(en)
        self.set_texts(ja, en)
        self.lang: str | None = None

    def message(self, lang: str | None = None) -> str:
        return super().message(lang or self.lang or "ja")

    def prefixed(self, where: str) -> "ConfigError":
        """The same error with where it came from (a file's path, ``environment``,
        ``command line``) before both texts."""
        where_ja = {"environment": "環境変数", "command line": "コマンドライン"}.get(where, where)
        return ConfigError(*texts("config.where", where_ja=where_ja, where_en=where,
                                  ja=self.message("ja"), en=self.message("en")))


def _default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def system_config_file(env: Mapping[str, str] | None = None) -> Path:
    """The host's config file: ``PORTPLUS_SYSTEM_CONFIG`` when set, else
    ``/etc/portplus/config.toml``."""
    env = os.environ if env is None else env
    named = env.get("PORTPLUS_SYSTEM_CONFIG", "")
    return Path(named).expanduser() if named else SYSTEM_CONFIG_FILE


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
    # The one folder the TUI's CSV export writes into (the user types a file name only,
    # never a path). None: <data_dir>/exports. Created 0700 (2770 with shared_group).
    export_dir: Path | None = None
    lang: str = "ja"
    # "ascii": box lines, input edges, scrollbars and tab bars drawn without East-Asian
    # ambiguous-width glyphs (R-UI-3; safe in every terminal). "unicode": Textual's own
    # block and box glyphs, for terminals known to draw them one cell wide.
    glyphs: str = "ascii"
    # The theme to start with (ui/themes.py), until one is chosen in the command palette
    # (「テーマ変更」), which is then remembered for this OS user.
    theme: str = "portplus-dark"

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
    reset_mail_limit: int = 3  # self-service reset mails per account per window
    reset_mail_window_minutes: int = 15

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
    # A file holding the SMTP password (read when a mail is sent; must be readable by its
    # owner only, or its owner and shared_group). PORTPLUS_SMTP_PASSWORD wins over it.
    smtp_password_file: Path | None = None
    smtp_timeout: int = 10

    # Store
    sqlite_busy_timeout_ms: int = 5000

    # Live (issue 15, R-LIVE-1): follow the change feed, so that what other sessions of
    # the company commit shows within a second (false: screens show what was loaded
    # until reloaded). live_poll_ms: how often SQLite is asked for data_version.
    live: bool = True
    live_poll_ms: int = 250

    # Security
    # None: private files (folders 0700, files 0600). A group name: folders 2770 and
    # files 0660 of that group, for operators who are OS users of one group.
    shared_group: str | None = None
    # Key of the HMAC that stores one-time and reset codes: environment only, at least
    # 32 bytes as hex or URL-safe base64. None: read (or create) secret_key_file.
    secret_key: str | None = field(default=None, repr=False)
    # None: <user config dir>/secret.key (never in the data folder, beside the database).
    secret_key_file: Path | None = None

    # Keys (the [keymap] table of a config file): binding id -> key(s), e.g.
    # (("portplus.next", "n,pagedown"),). ``portplus keys`` lists the ids.
    keymap: tuple[tuple[str, str], ...] = ()

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
    def resolved_export_dir(self) -> Path:
        if self.export_dir:
            return Path(self.export_dir)
        return self.resolved_data_dir / "exports"

    @property
    def resolved_log_dir(self) -> Path:
        if self.log_dir:
            return Path(self.log_dir)
        if self.data_dir:
            return Path(self.data_dir) / "logs"
        from platformdirs import user_log_dir

        return Path(user_log_dir(APP_NAME, appauthor=False))

    @property
    def resolved_secret_key_file(self) -> Path:
        if self.secret_key_file:
            return Path(self.secret_key_file)
        from platformdirs import user_config_dir

        return Path(user_config_dir(APP_NAME, appauthor=False)) / "secret.key"

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)

    def validate(self) -> "Settings":
        positive = (
            "bcrypt_rounds", "password_min_length", "password_max_length",
            "lockout_threshold", "lockout_minutes", "idle_timeout_minutes",
            "otp_valid_minutes", "otp_max_attempts", "reset_valid_minutes",
            "reset_mail_limit", "reset_mail_window_minutes",
            "max_days_ahead", "min_ports", "max_ports", "default_page_size",
            "smtp_port", "smtp_timeout", "live_poll_ms",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(*texts("config.at_least_1", name=name))
        if not 4 <= self.bcrypt_rounds <= 31:
            raise ConfigError(*texts("config.bcrypt_rounds"))
        if self.password_max_length > 72:
            raise ConfigError(*texts("config.password_max_length"))
        if self.password_min_length > self.password_max_length:
            raise ConfigError(*texts("config.password_lengths"))
        if self.min_ports > self.max_ports:
            raise ConfigError(*texts("config.ports"))
        if self.deadline_business_days < 0:
            raise ConfigError(*texts("config.deadline_business_days"))
        if self.otp_resend_seconds < 0:
            raise ConfigError(*texts("config.otp_resend_seconds"))
        if not 1 <= self.closing_day <= 28:
            raise ConfigError(*texts("config.closing_day"))
        sizes = ", ".join(map(str, PAGE_SIZES))
        if self.default_page_size not in PAGE_SIZES:
            raise ConfigError(*texts("config.one_of", name="default_page_size", listed=sizes))
        choices = (("lang", ("ja", "en")), ("glyphs", ("ascii", "unicode")),
                   ("theme", THEME_NAMES),
                   ("mail_backend", ("file", "smtp", "memory")),
                   ("smtp_security", ("starttls", "tls", "none")))
        for name, allowed in choices:
            if getattr(self, name) not in allowed:
                listed = ", ".join(allowed)
                raise ConfigError(*texts("config.one_of", name=name, listed=listed))
        if self.shared_group is not None and not self.shared_group.strip():
            raise ConfigError(*texts("config.shared_group_empty"))
        if self.secret_key is not None:
            from portplus_tui.core.secret_key import HOW_TO_MAKE, MIN_BYTES, BadSecretKey, parse_key

            try:
                parse_key(self.secret_key)
            except BadSecretKey:
                raise ConfigError(*texts("config.secret_key", min_bytes=MIN_BYTES,
                                         chars=2 * MIN_BYTES, how=HOW_TO_MAKE)) from None
        return self


PAGE_SIZES = (10, 20, 50, 100)
# ui/themes.py NAMES (this module must not import Textual; a test keeps them equal)
THEME_NAMES = ("portplus-dark", "portplus-light", "portplus-high-contrast")

# Secrets are never read from the TOML file (it may be world-readable or committed).
_ENV_ONLY = {"smtp_password", "secret_key"}
# Settings whose empty value would silently mean something else (the current folder, or
# the default database): refused when a file says "".
_NOT_EMPTY = ("data_dir", "database_url", "log_dir", "export_dir", "secret_key_file",
              "smtp_password_file")

SYSTEM_CONFIG_FILE = Path("/etc/portplus/config.toml")


_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_EXPECTED = {  # the catalogue's config.expected.<...> of each type of setting
    "int": "int", "bool": "bool", "Path": "Path", "str": "str",
    "tuple[tuple[str, str], ...]": "keymap",
}


def _coerce(name: str, raw: Any, annotation: str) -> Any:
    """The value of setting ``name`` from the TOML file (typed values) or the
    environment (text). Nothing is converted that would change its meaning: a TOML
    float or boolean for a whole number, a number for a boolean, a number for text, a
    decimal or empty text for a number are all refused."""
    text_type = annotation.replace(" | None", "")
    if raw is None:
        return None
    try:
        if text_type == "bool":
            if isinstance(raw, bool):
                return raw
            if not isinstance(raw, str):  # TOML 1 / 0: not a boolean
                raise ValueError(raw)
            value = raw.strip().lower()
            if value in ("1", "true", "yes", "on"):
                return True
            if value in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if text_type == "int":
            if isinstance(raw, bool):  # TOML true is an int subclass in Python
                raise ValueError(raw)
            if isinstance(raw, int):
                return raw
            if isinstance(raw, str) and _WHOLE_NUMBER.fullmatch(raw.strip()):
                return int(raw.strip())
            raise ValueError(raw)  # a float (15.7), a decimal text, a table, ...
        if text_type.startswith("tuple[tuple[str, str]"):
            return _keymap(raw)
        if text_type == "Path" and isinstance(raw, os.PathLike):  # from code, not a file
            return Path(raw)
        if not isinstance(raw, str):
            raise ValueError(raw)
        if text_type == "Path":
            if not raw.strip():  # Path("") is the current folder: never meant
                raise ValueError(raw)
            return Path(raw).expanduser()
        return raw
    except (TypeError, ValueError):
        expected = _EXPECTED.get(text_type)
        ja, en = texts(f"config.expected.{expected}") if expected else (text_type, text_type)
        shown = ("true" if raw else "false") if isinstance(raw, bool) else repr(raw)
        raise ConfigError(*texts("config.bad_value", name=name, shown=shown, expected_ja=ja,
                                 expected_en=en)) from None


def _keymap(raw: Any) -> tuple[tuple[str, str], ...]:
    """The ``[keymap]`` table (``id = "key1,key2"``), or ``PORTPLUS_KEYMAP`` as
    ``id=key1,key2;id2=key``. Ids and keys are checked against the app's bindings when
    the app starts (ui/keymap.py): here only the shape."""
    if isinstance(raw, tuple):
        pairs = list(raw)
    elif isinstance(raw, Mapping):
        pairs = list(raw.items())
    elif isinstance(raw, str):
        pairs = []
        for item in filter(None, (part.strip() for part in raw.split(";"))):
            name, sep, keys = item.partition("=")
            if not sep:
                raise ValueError(item)
            pairs.append((name.strip(), keys.strip()))
    else:
        raise ValueError(raw)
    result = []
    for name, keys in pairs:
        if not isinstance(name, str) or not isinstance(keys, str) or not name or not keys.strip():
            raise ValueError(name)
        result.append((name, keys.strip()))
    return tuple(result)


_FIELDS = {f.name: f for f in fields(Settings)}


def _apply(values: dict[str, Any], source: Mapping[str, Any], where: str,
           sources: dict[str, str]) -> None:
    """Set ``values`` from one layer; ``sources`` records which layer set each one."""
    for key, raw in source.items():
        sources[key] = where
        if key not in _FIELDS:
            raise ConfigError(*texts("config.unknown_setting", key=key)).prefixed(where)
        try:
            values[key] = _coerce(key, raw, str(_FIELDS[key].type))
        except ConfigError as exc:
            raise exc.prefixed(where) from None


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the settings from all four layers.

    ``config_file``: an explicit file (must exist), else the platformdirs config file
    when present. ``env``: defaults to ``os.environ``; an empty ``PORTPLUS_*`` variable
    counts as unset (the usual convention: ``PORTPLUS_DATA_DIR= portplus`` is the
    default data dir, never the current folder). ``overrides``: command-line flags
    (``None`` values are ignored; the command line refuses empty ones before this).

    A ``ConfigError`` carries in ``lang`` the language asked for by the layers read so
    far (flag, environment, file), so that it can be shown in that language.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    try:
        return _load(config_file, env, overrides, values)
    except ConfigError as exc:
        exc.lang = _lang_hint(env, overrides, values)
        raise


def _lang_hint(env: Mapping[str, str], overrides: Mapping[str, Any] | None,
               values: Mapping[str, Any]) -> str | None:
    for candidate in ((overrides or {}).get("lang"), env.get("PORTPLUS_LANG"), values.get("lang")):
        if isinstance(candidate, str) and candidate.strip().lower() in ("ja", "en"):
            return candidate.strip().lower()
    return None


def _not_found(path: Path) -> ConfigError:
    return ConfigError(*texts("config.file_not_found", path=path))


def _load(config_file: str | os.PathLike[str] | None, env: Mapping[str, str],
          overrides: Mapping[str, Any] | None, values: dict[str, Any]) -> Settings:
    sources: dict[str, str] = {}
    system = system_config_file(env)
    if env.get("PORTPLUS_SYSTEM_CONFIG", "") and not system.exists():
        raise _not_found(system)
    # Present but unreadable: an error, never silently skipped. (``/dev/null`` reads as
    # an empty file: PORTPLUS_SYSTEM_CONFIG=/dev/null leaves the host's file out.)
    if system.exists():
        _read_file(system, values, sources)

    path: Path | None
    if config_file is not None:
        path = Path(config_file)
        if not str(config_file) or not path.is_file():
            raise _not_found(path)
    elif env.get("PORTPLUS_CONFIG"):
        path = Path(env["PORTPLUS_CONFIG"])
        if not path.is_file():
            raise _not_found(path)
    else:
        path = default_config_file()
        if not path.is_file():
            path = None
    if path is not None:
        _read_file(path, values, sources)

    from_env = {
        name: env[f"PORTPLUS_{name.upper()}"]
        for name in _FIELDS
        if env.get(f"PORTPLUS_{name.upper()}", "") != ""
    }
    _apply(values, from_env, "environment", sources)
    if overrides:
        _apply(values, {k: v for k, v in overrides.items() if v is not None}, "command line",
               sources)
    try:
        return Settings(**values).validate()
    except ConfigError as exc:
        # A value out of range: say which layer gave it (the first setting the message
        # names that a layer set), as for a value of the wrong type.
        for name in re.findall(r"[a-z_]+", exc.en):
            if name in sources:
                raise exc.prefixed(sources[name]) from None
        raise


def _read_file(path: Path, values: dict[str, Any], sources: dict[str, str]) -> None:
    """Apply one TOML file's settings over ``values`` (the system file, then the user's)."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(*texts("config.unreadable", path=path, reason=reason)) from None
    secret = _ENV_ONLY & data.keys()
    if secret:
        names = ", ".join(sorted(secret))
        first = sorted(secret)[0]
        variable = f"PORTPLUS_{first.upper()}"
        raise ConfigError(*texts("config.environment_only", path=path, names=names,
                                 variable=variable, first=first))
    if "lang" in data and isinstance(data["lang"], str):
        values["lang"] = data["lang"]  # for the language of an error further down
    for name in _NOT_EMPTY:
        if data.get(name) == "":
            raise ConfigError(*texts("config.not_empty", path=path, name=name))
    _apply(values, data, str(path), sources)
