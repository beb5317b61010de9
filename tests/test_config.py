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
