"""The host's config file (/etc/portplus/config.toml, or PORTPLUS_SYSTEM_CONFIG): read
before the user's file; the order is defaults < system file < user file < PORTPLUS_* <
flags. Secrets never come from either file."""

from __future__ import annotations

from pathlib import Path

import pytest

from portplus_tui import config
from portplus_tui.config import ConfigError, load_settings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def xdg(tmp_path, monkeypatch) -> Path:
    """The user config folder (platformdirs reads it from the process environment)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def test_five_layers_in_order(tmp_path, xdg):
    """Each of five settings is set in every layer up to its own: the highest wins."""
    system = write(tmp_path / "etc" / "config.toml",
                   "closing_day = 11\nmax_ports = 500\nmin_ports = 2\nlockout_minutes = 7\n"
                   'lang = "en"\n')
    write(xdg / "portplus" / "config.toml",
          "max_ports = 400\nmin_ports = 3\nlockout_minutes = 8\n" 'lang = "en"\n')
    env = {"PORTPLUS_SYSTEM_CONFIG": str(system), "XDG_CONFIG_HOME": str(xdg),
           "PORTPLUS_MIN_PORTS": "4", "PORTPLUS_LOCKOUT_MINUTES": "9", "PORTPLUS_LANG": "en"}
    s = load_settings(env=env, overrides={"lang": "ja"})
    assert s.closing_day == 11  # system file over the default (20)
    assert s.max_ports == 400  # user file over the system file
    assert s.min_ports == 4  # environment over the user file
    assert s.lockout_minutes == 9
    assert s.lang == "ja"  # flag over everything
    assert load_settings(env={"XDG_CONFIG_HOME": str(xdg),
                              "PORTPLUS_SYSTEM_CONFIG": "/dev/null"}).closing_day == 20


def test_the_default_system_file_is_read(tmp_path, xdg, monkeypatch):
    system = write(tmp_path / "config.toml", "closing_day = 12\n")
    monkeypatch.setattr(config, "SYSTEM_CONFIG_FILE", system)
    assert load_settings(env={"XDG_CONFIG_HOME": str(xdg)}).closing_day == 12
    assert config.system_config_file({}) == system
    monkeypatch.setattr(config, "SYSTEM_CONFIG_FILE", tmp_path / "absent.toml")
    assert load_settings(env={"XDG_CONFIG_HOME": str(xdg)}).closing_day == 20  # absent: nothing


@pytest.mark.parametrize("how", ["PORTPLUS_CONFIG", "--config"])
def test_a_named_user_file_replaces_only_the_user_file(tmp_path, xdg, how):
    system = write(tmp_path / "system.toml", "closing_day = 13\nmax_ports = 500\n")
    write(xdg / "portplus" / "config.toml", "max_days_ahead = 30\n")
    named = write(tmp_path / "mine.toml", "max_ports = 300\n")
    env = {"PORTPLUS_SYSTEM_CONFIG": str(system), "XDG_CONFIG_HOME": str(xdg)}
    if how == "PORTPLUS_CONFIG":
        s = load_settings(env={**env, "PORTPLUS_CONFIG": str(named)})
    else:
        s = load_settings(named, env=env)
    assert (s.closing_day, s.max_ports, s.max_days_ahead) == (13, 300, 365)


@pytest.mark.parametrize("text, named", [
    ("this is not toml", ""),
    ("nonsense = 1\n", "nonsense"),
    ("closing_day = 31\n", "closing_day"),
    ('smtp_password = "hunter2"\n', "smtp_password"),
    ('secret_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"\n',
     "secret_key"),
    ('smtp_password_file = ""\n', "smtp_password_file"),
])
def test_a_bad_system_file_is_an_error_naming_it(tmp_path, xdg, text, named):
    system = write(tmp_path / "system.toml", text)
    with pytest.raises(ConfigError) as exc:
        load_settings(env={"PORTPLUS_SYSTEM_CONFIG": str(system), "XDG_CONFIG_HOME": str(xdg)})
    for lang in ("ja", "en"):
        assert str(system) in exc.value.message(lang) and named in exc.value.message(lang)
    assert "hunter2" not in exc.value.message("ja") + exc.value.message("en")


def test_a_system_file_that_cannot_be_read_is_an_error(tmp_path, xdg, monkeypatch):
    """Present but unreadable (here: a folder where the file should be) is never skipped."""
    folder = tmp_path / "config.toml"
    folder.mkdir()
    monkeypatch.setattr(config, "SYSTEM_CONFIG_FILE", folder)
    with pytest.raises(ConfigError) as exc:
        load_settings(env={"XDG_CONFIG_HOME": str(xdg)})
    assert str(folder) in str(exc.value)


def test_a_missing_named_system_file_is_an_error(tmp_path, xdg):
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as exc:
        load_settings(env={"PORTPLUS_SYSTEM_CONFIG": str(missing), "XDG_CONFIG_HOME": str(xdg)})
    assert str(missing) in str(exc.value)


def test_secret_files_are_named_in_the_system_file(tmp_path, xdg):
    system = write(tmp_path / "system.toml",
                   'smtp_password_file = "/etc/portplus/smtp.pass"\n'
                   'secret_key_file = "/etc/portplus/secret.key"\nshared_group = "portplus"\n')
    s = load_settings(env={"PORTPLUS_SYSTEM_CONFIG": str(system), "XDG_CONFIG_HOME": str(xdg)})
    assert s.smtp_password_file == Path("/etc/portplus/smtp.pass")
    assert s.resolved_secret_key_file == Path("/etc/portplus/secret.key")
    assert s.smtp_password is None  # read only when a mail is sent


def test_the_cli_reports_a_bad_system_file_with_exit_2(tmp_path, xdg, capsys, monkeypatch):
    from portplus_tui.__main__ import main

    system = write(tmp_path / "system.toml", "closing_day = 99\n")
    monkeypatch.setenv("PORTPLUS_SYSTEM_CONFIG", str(system))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    assert main(["calendar", "billing-period", "2026-12"]) == 2
    err = capsys.readouterr().err
    assert str(system) in err and "closing_day" in err and len(err.strip().splitlines()) == 1
