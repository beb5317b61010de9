"""Finding 3 (a) of issue 11: the data folder is 0700 and the database files 0600
(2770 / 0660 of a group in the shared mode), whatever the umask of whoever starts
`portplus`; a database file others can read is reported (stderr and log file)."""

from __future__ import annotations

import grp
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .store.test_files import shared_group  # noqa: F401 - fixture
from .test_cli import _runner, one_line_error

ROOT = Path(__file__).resolve().parents[1]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def portplus(tmp_path: Path, *args: str, umask: int = 0o022, **env_extra: str):
    """`python -m portplus_tui ARGS` in a fresh process started with ``umask``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTPLUS_")}
    env.update({"PORTPLUS_DATA_DIR": str(tmp_path / "data"), "PORTPLUS_BCRYPT_ROUNDS": "4",
                "XDG_CONFIG_HOME": str(tmp_path / "config"), "PORTPLUS_LANG": "en"})
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "portplus_tui", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: os.umask(umask))


def wal_companions(db: Path) -> list[Path]:
    """Open the database as SQLite does for the app (WAL) and keep it open: its -wal and
    -shm files exist while the connection does (SQLite gives them the file's mode)."""
    conn = sqlite3.connect(str(db))
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("CREATE TABLE IF NOT EXISTS probe (x)")
    conn.execute("INSERT INTO probe VALUES (1)")
    conn.commit()
    wal_companions.conn = conn  # type: ignore[attr-defined]
    return [Path(f"{db}-wal"), Path(f"{db}-shm")]


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_init_in_a_fresh_folder_makes_everything_private(tmp_path, umask):
    proc = portplus(tmp_path, "init", umask=umask)
    assert proc.returncode == 0, proc.stderr
    data, db = tmp_path / "data", tmp_path / "data" / "portplus.db"
    assert mode_of(data) == 0o700
    assert mode_of(db) == 0o600
    key = tmp_path / "config" / "portplus" / "secret.key"
    assert mode_of(key) == 0o600 and mode_of(key.parent) == 0o700
    assert not key.is_relative_to(data)  # never beside the database
    old = os.umask(0o022)
    try:
        companions = wal_companions(db)
        assert [mode_of(path) for path in companions] == [0o600, 0o600]
    finally:
        wal_companions.conn.close()
        os.umask(old)
    assert proc.stderr == ""


def test_init_tightens_what_an_older_version_left_open(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(data, 0o755)
    db = data / "portplus.db"
    old = os.umask(0o022)
    try:
        companions = wal_companions(db)  # 0644 files, as a umask-022 process made them
        assert [mode_of(p) for p in [db, *companions]] == [0o644] * 3
        proc = portplus(tmp_path, "init")
        assert proc.returncode == 0, proc.stderr
        assert mode_of(data) == 0o700
        assert [mode_of(p) for p in [db, *companions]] == [0o600] * 3
        assert f"made private (others could read it): {db}" in proc.stdout
    finally:
        wal_companions.conn.close()
        os.umask(old)


def test_a_database_others_can_read_is_reported_and_the_command_goes_on(tmp_path):
    assert portplus(tmp_path, "init").returncode == 0
    db = tmp_path / "data" / "portplus.db"
    os.chmod(db, 0o644)
    proc = portplus(tmp_path, "company", "list")
    assert proc.returncode == 0
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("portplus: warning:") and f"chmod 600 {db}" in lines[0]
    log = tmp_path / "data" / "logs" / "portplus.log"
    assert f"chmod 600 {db}" in log.read_text(encoding="utf-8")
    assert mode_of(log) == 0o600 and mode_of(log.parent) == 0o700
    proc = portplus(tmp_path, "company", "list", PORTPLUS_LANG="ja")
    assert "chmod 600" in proc.stderr and "警告" in proc.stderr
    assert mode_of(db) == 0o644  # reported, not changed behind the provider's back
    assert portplus(tmp_path, "init").returncode == 0
    assert mode_of(db) == 0o600
    assert portplus(tmp_path, "company", "list").stderr == ""


def test_the_app_warns_before_it_starts_without_loading_the_data_layer(tmp_path, monkeypatch):
    """The bare `portplus` launch: the line is on stderr before the app runs."""
    assert portplus(tmp_path, "init").returncode == 0
    db = tmp_path / "data" / "portplus.db"
    os.chmod(db, 0o604)
    import portplus_tui.ui.app as app_module
    from portplus_tui.cli.launch import _warned

    _warned.clear()
    seen: list[str] = []
    monkeypatch.setenv("PORTPLUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("PORTPLUS_LANG", "en")
    monkeypatch.delenv("PORTPLUS_DATABASE_URL", raising=False)
    monkeypatch.delenv("PORTPLUS_CONFIG", raising=False)
    run = _runner(monkeypatch)
    monkeypatch.setattr(app_module, "run_app", lambda settings: seen.append("app") or 0)
    monkeypatch.setattr("portplus_tui.cli.launch._require_terminal", lambda: None)  # no tty here
    code, out, err = run()
    assert code == 0 and seen == ["app"]
    assert err.startswith("portplus: warning:") and f"chmod 600 {db}" in err
    # The check itself imports no peewee (the first paint must not wait for it).
    probe = ("import sys\nfrom portplus_tui.config import Settings\n"
             "from portplus_tui.cli.launch import _warn_if_exposed\n"
             f"_warn_if_exposed(Settings(data_dir={str(tmp_path / 'data')!r}, "
             f"log_dir={str(tmp_path / 'logs')!r}, lang='en'))\n"
             "print('peewee' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.stdout.strip() == "False" and "chmod 600" in proc.stderr


def test_a_secret_key_too_short_is_a_one_line_usage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTPLUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("PORTPLUS_SECRET_KEY", "0123456789abcdef")
    monkeypatch.setenv("PORTPLUS_LANG", "en")
    run = _runner(monkeypatch)
    line = one_line_error(*run("init"))
    assert "secret_key" in line and "0123456789abcdef" not in line
    assert not (tmp_path / "data").exists()
    monkeypatch.setenv("PORTPLUS_SECRET_KEY", "ab" * 32)
    assert run("init")[0] == 0
    assert not (tmp_path / "config" / "portplus" / "secret.key").exists()  # the env key is used


def test_an_exposed_key_file_stops_init_with_the_fix(tmp_path):
    assert portplus(tmp_path, "init").returncode == 0
    key = tmp_path / "config" / "portplus" / "secret.key"
    text = key.read_text().strip()
    os.chmod(key, 0o644)
    proc = portplus(tmp_path, "init")
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and f"chmod 600 {key}" in proc.stderr
    assert text not in proc.stderr + proc.stdout
    for log in (tmp_path / "data").rglob("*.log"):
        assert text not in log.read_text(encoding="utf-8")


def test_shared_group_mode(tmp_path, shared_group):  # noqa: F811
    gid = grp.getgrnam(shared_group).gr_gid
    proc = portplus(tmp_path, "init", PORTPLUS_SHARED_GROUP=shared_group)
    assert proc.returncode == 0, proc.stderr
    data, db = tmp_path / "data", tmp_path / "data" / "portplus.db"
    assert mode_of(data) == 0o2770 and os.stat(data).st_gid == gid
    assert mode_of(db) == 0o660 and os.stat(db).st_gid == gid
    # 0660 of the group is fine; readable by everyone is reported with chgrp + chmod.
    assert portplus(tmp_path, "company", "list", PORTPLUS_SHARED_GROUP=shared_group).stderr == ""
    os.chmod(db, 0o664)
    proc = portplus(tmp_path, "company", "list", PORTPLUS_SHARED_GROUP=shared_group)
    assert f"chgrp {shared_group} {db} && chmod 660 {db}" in proc.stderr
    # Private mode reads the group's 0660 as open to others.
    os.chmod(db, 0o660)
    assert "chmod 600" in portplus(tmp_path, "company", "list").stderr


def test_an_unknown_shared_group_is_a_one_line_usage_error(tmp_path):
    proc = portplus(tmp_path, "init", PORTPLUS_SHARED_GROUP="no-such-group-pp")
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1
    assert "groupadd no-such-group-pp" in proc.stderr
    assert not (tmp_path / "data").exists()


def test_the_outbox_follows_the_shared_mode(tmp_path, shared_group):  # noqa: F811
    from portplus_tui.services.mail import FileBackend, OutgoingMail

    gid = grp.getgrnam(shared_group).gr_gid
    folder = tmp_path / "data" / "outbox"
    FileBackend(folder, shared_group=shared_group).send(
        OutgoingMail(to="a@example.com", subject="s", body="b"))
    assert mode_of(folder) == 0o2770 and os.stat(folder).st_gid == gid
    (mail,) = folder.iterdir()
    assert mode_of(mail) == 0o660 and os.stat(mail).st_gid == gid
