"""Settings layering: defaults < TOML file < PORTPLUS_* environment < flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from portplus_tui.config import ConfigError, Settings, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_match_the_spec():
    s = load_settings(env={"XDG_CONFIG_HOME": "/nonexistent"})
    assert (s.bcrypt_rounds, s.lockout_threshold, s.lockout_minutes, s.idle_timeout_minutes) == (12, 5, 15, 30)
    assert (s.otp_valid_minutes, s.otp_max_attempts, s.otp_resend_seconds) == (30, 5, 60)
    assert (s.deadline_business_days, s.closing_day, s.max_days_ahead) == (2, 20, 365)
    assert (s.min_ports, s.max_ports, s.default_page_size, s.lang) == (1, 999, 10, "ja")
    assert s.resolved_database_url.startswith("sqlite:///") and s.resolved_database_url.endswith("portplus.db")


def test_layers_in_order(tmp_path):
    path = write(tmp_path, 'closing_day = 15\nlang = "en"\nbcrypt_rounds = 10\nyear_end_closure = false\n')
    env = {"PORTPLUS_BCRYPT_ROUNDS": "8", "PORTPLUS_DATA_DIR": str(tmp_path / "d")}
    s = load_settings(path, env=env, overrides={"lang": "ja", "database_url": None})
    assert s.closing_day == 15  # file
    assert s.year_end_closure is False  # file, bool
    assert s.bcrypt_rounds == 8  # environment beats file
    assert s.lang == "ja"  # flag beats file
    assert s.resolved_database_url == f"sqlite:///{tmp_path / 'd' / 'portplus.db'}"
    assert s.outbox_dir == tmp_path / "d" / "outbox"
    assert s.resolved_log_dir == tmp_path / "d" / "logs"
    assert s.resolved_export_dir == tmp_path / "d" / "exports"


def test_export_dir_is_its_own_setting(tmp_path):
    """The CSV export's one folder: <data_dir>/exports unless export_dir names another
    (file, environment; ~ expanded)."""
    path = write(tmp_path, 'export_dir = "~/pp-exports"\n')
    s = load_settings(path, env={"PORTPLUS_DATA_DIR": str(tmp_path / "d")})
    assert s.export_dir == Path("~/pp-exports").expanduser() == s.resolved_export_dir
    s = load_settings(env={"PORTPLUS_EXPORT_DIR": str(tmp_path / "x"),
                           "XDG_CONFIG_HOME": "/nonexistent"})
    assert s.resolved_export_dir == tmp_path / "x"
    assert Settings(data_dir=tmp_path).resolved_export_dir == tmp_path / "exports"


def test_config_file_from_environment(tmp_path):
    path = write(tmp_path, "max_ports = 50\n")
    assert load_settings(env={"PORTPLUS_CONFIG": str(path)}).max_ports == 50


@pytest.mark.parametrize("text", [
    "nonsense = 1\n",
    "closing_day = 31\n",
    'bcrypt_rounds = "many"\n',
    "password_max_length = 100\n",
    'lang = "fr"\n',
    'mail_backend = "pigeon"\n',
    'smtp_password = "secret"\n',
    "min_ports = 10\nmax_ports = 5\n",
    "default_page_size = 30\n",
    "this is not toml",
])
def test_bad_files_are_errors(tmp_path, text):
    with pytest.raises(ConfigError):
        load_settings(write(tmp_path, text), env={})


def test_bad_environment_and_missing_file(tmp_path):
    with pytest.raises(ConfigError):
        load_settings(env={"PORTPLUS_LOCKOUT_MINUTES": "soon"})
    with pytest.raises(ConfigError):
        load_settings(env={"PORTPLUS_YEAR_END_CLOSURE": "perhaps"})
    with pytest.raises(ConfigError):
        load_settings(tmp_path / "missing.toml", env={})


def test_secret_only_from_environment_and_not_in_repr():
    s = load_settings(env={"PORTPLUS_SMTP_PASSWORD": "hunter2-secret"})
    assert s.smtp_password == "hunter2-secret"
    assert "hunter2" not in repr(s)


def test_every_setting_has_an_environment_name():
    names = {f"PORTPLUS_{name.upper()}" for name in Settings.__dataclass_fields__}
    assert "PORTPLUS_DATABASE_URL" in names and "PORTPLUS_DATA_DIR" in names


@pytest.mark.parametrize("text, key", [
    ("closing_day = 15.7\n", "closing_day"),  # was truncated to 15
    ("closing_day = 15.0\n", "closing_day"),
    ("closing_day = true\n", "closing_day"),  # TOML true is an int in Python
    ("bcrypt_rounds = false\n", "bcrypt_rounds"),
    ("year_end_closure = 1\n", "year_end_closure"),  # a number is not a boolean
    ("mail_on_application = 0\n", "mail_on_application"),
    ("year_end_closure = 1.0\n", "year_end_closure"),
    ('max_ports = "12.5"\n', "max_ports"),
    ("smtp_host = 25\n", "smtp_host"),  # a number is not text
    ('lang = ["ja"]\n', "lang"),
    ("data_dir = 1\n", "data_dir"),
    ('data_dir = ""\n', "data_dir"),  # Path("") would be the current folder
    ('database_url = ""\n', "database_url"),
    ('log_dir = ""\n', "log_dir"),
    ('export_dir = ""\n', "export_dir"),  # "" would be the current folder
])
def test_file_values_of_the_wrong_type_name_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError) as exc:
        load_settings(write(tmp_path, text), env={})
    assert key in str(exc.value) and key in exc.value.message("ja")


def test_typed_file_values_still_work(tmp_path):
    s = load_settings(write(tmp_path, "closing_day = 15\nyear_end_closure = false\n"
                                      'data_dir = "~/pp"\nsmtp_port = 2525\n'), env={})
    assert (s.closing_day, s.year_end_closure, s.smtp_port) == (15, False, 2525)
    assert s.data_dir == Path("~/pp").expanduser()


@pytest.mark.parametrize("name, value", [
    ("PORTPLUS_CLOSING_DAY", "15.7"), ("PORTPLUS_CLOSING_DAY", "1_5"),
    ("PORTPLUS_CLOSING_DAY", "１５"), ("PORTPLUS_YEAR_END_CLOSURE", "2"),
    ("PORTPLUS_DATA_DIR", "   "),
])
def test_bad_environment_values(name, value):
    with pytest.raises(ConfigError) as exc:
        load_settings(env={name: value, "XDG_CONFIG_HOME": "/nonexistent"})
    key = name.removeprefix("PORTPLUS_").lower()
    assert key in str(exc.value) and str(exc.value).startswith("environment: ")
    assert exc.value.message("ja").startswith("環境変数: ")


def test_environment_text_values_are_converted():
    s = load_settings(env={"PORTPLUS_CLOSING_DAY": " 15 ", "PORTPLUS_YEAR_END_CLOSURE": "off",
                           "XDG_CONFIG_HOME": "/nonexistent"})
    assert (s.closing_day, s.year_end_closure) == (15, False)


def test_empty_environment_variables_count_as_unset(tmp_path):
    env = {f"PORTPLUS_{name.upper()}": "" for name in Settings.__dataclass_fields__}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "none")
    s = load_settings(env=env)
    assert s == Settings()  # data_dir None: the user data dir, never Path("") (the cwd)
    assert s.data_dir is None and s.database_url is None and s.log_dir is None


def test_empty_file_argument_is_not_a_file(tmp_path):
    with pytest.raises(ConfigError):
        load_settings("", env={})


def test_errors_in_both_languages_and_the_language_asked_for(tmp_path):
    path = write(tmp_path, 'lang = "en"\nclosing_day = 40\n')
    with pytest.raises(ConfigError) as exc:
        load_settings(path, env={})
    assert exc.value.lang == "en"
    # Out of range: the message names the layer that gave the value, as for a bad type.
    assert exc.value.message() == f"{path}: closing_day must be between 1 and 28"
    assert exc.value.message("ja") == f"{path}: closing_day は 1~28 の範囲にしてください。"
    with pytest.raises(ConfigError) as exc:
        load_settings(path, env={"PORTPLUS_LANG": "ja"})
    assert exc.value.lang == "ja"
    with pytest.raises(ConfigError) as exc:
        load_settings(path, env={"PORTPLUS_LANG": "ja"}, overrides={"lang": "en"})
    assert exc.value.lang == "en"
    with pytest.raises(ConfigError) as exc:
        load_settings(write(tmp_path, "nonsense = 1\n"), env={})
    assert exc.value.lang is None and exc.value.message() == exc.value.message("ja")
    assert "不明な設定" in exc.value.message("ja") and "unknown setting" in str(exc.value)
