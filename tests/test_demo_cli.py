"""`portplus demo` (finding 2 of issue 11): its own database file unless a URL is given,
and a refusal (exit 2, one line, nothing written) on a database with real companies."""

from __future__ import annotations

import pytest

from portplus_tui.store import db as store_db

from .test_cli import _runner, one_line_error


def dump(url: str) -> dict:
    """Every table and every row: what a refusal must leave exactly as it was."""
    db = store_db.open_database(url)
    try:
        state = {}
        for table in sorted(db.get_tables()):
            rows = db.execute_sql(f'SELECT * FROM "{table}"').fetchall()
            state[table] = sorted(map(repr, rows))
        return state
    finally:
        db.close()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTPLUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PORTPLUS_BCRYPT_ROUNDS", "4")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("PORTPLUS_DATABASE_URL", "PORTPLUS_CONFIG", "PORTPLUS_LANG"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def cli(env, monkeypatch, database_url):
    monkeypatch.setenv("PORTPLUS_DATABASE_URL", database_url)
    run = _runner(monkeypatch)
    assert run("init")[0] == 0
    return run


def add_company(cli, member_no: str) -> None:
    code, _, err = cli("company", "add", member_no, "--name", "Real Customer", "--address",
                       "東京都", "--ports", "5")
    assert code == 0, err


def test_demo_refuses_a_database_with_real_companies(cli, database_url):
    add_company(cli, "M97-00999")
    before = dump(database_url)
    line = one_line_error(*cli("demo", "--no-launch"))
    assert "M97-00999" in line
    assert dump(database_url) == before
    assert cli("company", "list")[1].split("\t")[0] == "M97-00999"


def test_demo_refuses_once_the_provider_added_a_company(cli, database_url):
    code, out, err = cli("demo", "--no-launch")
    assert code == 0, err
    code, out, err = cli("demo", "--no-launch")  # again: fine, nothing new
    assert code == 0, err
    add_company(cli, "M97-01000")
    before = dump(database_url)
    one_line_error(*cli("demo", "--no-launch"), expected_code=2)
    assert dump(database_url) == before


def test_demo_refusal_in_english(cli):
    add_company(cli, "M97-00999")
    line = one_line_error(*cli("--lang", "en", "demo", "--no-launch"))
    assert "companies the demo did not create" in line and "nothing was written" in line


def test_demo_uses_its_own_file_unless_a_url_is_given(env, monkeypatch):
    import portplus_tui.cli.launch as entry

    launched = []
    monkeypatch.setattr(entry, "launch_tui", lambda settings: launched.append(settings) or 0)
    monkeypatch.setattr(entry, "_require_terminal", lambda: None)  # pytest has no terminal
    run = _runner(monkeypatch)
    data = env / "data"
    # The provider's real database, with a real company.
    assert run("init")[0] == 0
    add_company(run, "M97-00999")
    real = data / "portplus.db"
    before = dump(f"sqlite:///{real}")
    code, out, err = run("demo")
    assert code == 0, err
    demo_db = data / "demo.db"
    assert f"database: sqlite:///{demo_db}" in out
    assert demo_db.is_file() and dump(f"sqlite:///{real}") == before
    # The app it launches opens the same demo database.
    assert [s.resolved_database_url for s in launched] == [f"sqlite:///{demo_db}"]
    # An explicit URL (flag) is used as given: here the real database, refused.
    one_line_error(*run("demo", "--no-launch", "--database-url", f"sqlite:///{real}"))
    assert dump(f"sqlite:///{real}") == before


def test_demo_takes_the_url_of_the_environment_or_the_config_file(env, monkeypatch):
    run = _runner(monkeypatch)
    mine = env / "mine.db"
    config = env / "config.toml"
    config.write_text(f'database_url = "sqlite:///{mine}"\n', encoding="utf-8")
    code, out, err = run("--config", str(config), "demo", "--no-launch")
    assert code == 0, err
    assert mine.is_file() and not (env / "data" / "demo.db").exists()
    other = env / "other.db"
    monkeypatch.setenv("PORTPLUS_DATABASE_URL", f"sqlite:///{other}")
    code, out, err = run("demo", "--no-launch")
    assert code == 0, err
    assert other.is_file() and not (env / "data" / "demo.db").exists()
