"""store.files: the modes of what the app creates (private 0700/0600, shared group
2770/0660), the umask, and the checks that report files others can read."""

from __future__ import annotations

import grp
import os
import secrets
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from portplus_tui.store import files


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def shared_group() -> Iterator[str]:
    """A group of this host for the shared mode: a throwaway one made with groupadd
    (removed afterwards), else an existing group that is not the process's own."""
    name = f"pptest{secrets.token_hex(3)}"
    groupadd, groupdel = shutil.which("groupadd"), shutil.which("groupdel")
    made = False
    if os.geteuid() == 0 and groupadd and groupdel:
        made = subprocess.run([groupadd, name], capture_output=True).returncode == 0
    if not made:
        own = os.getegid()
        candidates = [g for g in ("adm", "staff", "users") if _gid(g) not in (None, own)]
        if not candidates:  # a test that cannot check the shared mode fails, never skips
            pytest.fail("no group to use for the shared mode: run as root (groupadd) or "
                        "on a host with one of the groups adm, staff, users")
        name = candidates[0]
    try:
        yield name
    finally:
        if made:
            subprocess.run([groupdel, name], capture_output=True)


def _gid(name: str) -> int | None:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


@pytest.fixture
def umask_022() -> Iterator[None]:
    """A permissive umask, as many shells have: the modes must not depend on it."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_umask_of_each_mode():
    assert files.umask_for(None) == 0o077
    assert files.umask_for("portplus") == 0o007
    previous = files.set_process_umask(None)
    try:
        assert os.umask(0o077) == 0o077
        assert files.set_process_umask("portplus") == 0o077
        assert os.umask(0o007) == 0o007
    finally:
        os.umask(previous)


def test_modes():
    assert files.dir_mode(None) == 0o700 and files.file_mode(None) == 0o600
    assert files.dir_mode("g") == 0o2770 and files.file_mode("g") == 0o660


def test_private_dir_creates_missing_folders_0700_and_leaves_existing_parents(tmp_path, umask_022):
    parent = tmp_path / "home"
    parent.mkdir(mode=0o755)
    os.chmod(parent, 0o755)
    target = parent / "a" / "b" / "data"
    assert files.private_dir(target) == target
    for folder in (parent / "a", parent / "a" / "b", target):
        assert mode_of(folder) == 0o700, folder
    assert mode_of(parent) == 0o755
    # Again: nothing changes, nothing fails.
    files.private_dir(target)
    assert mode_of(target) == 0o700


def test_private_dir_tightens_an_existing_leaf_unless_told_not_to(tmp_path):
    old = tmp_path / "old-data"
    old.mkdir()
    os.chmod(old, 0o755)
    files.private_dir(old, tighten=False)
    assert mode_of(old) == 0o755
    files.private_dir(old)
    assert mode_of(old) == 0o700


def test_private_dir_never_narrows_a_sticky_folder(tmp_path):
    shared_tmp = tmp_path / "tmp"
    shared_tmp.mkdir()
    os.chmod(shared_tmp, 0o1777)
    files.private_dir(shared_tmp)
    assert mode_of(shared_tmp) == 0o1777
    # A folder made inside it is private.
    assert mode_of(files.private_dir(shared_tmp / "portplus")) == 0o700


def test_private_dir_never_narrows_the_home_folder(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    os.chmod(home, 0o755)
    monkeypatch.setenv("HOME", str(home))
    files.private_dir(home)
    assert mode_of(home) == 0o755


def test_private_dir_refuses_a_file_in_the_way(tmp_path):
    (tmp_path / "data").write_text("x")
    with pytest.raises(NotADirectoryError):
        files.private_dir(tmp_path / "data")
    with pytest.raises(OSError):
        files.private_dir(tmp_path / "data" / "below")


def test_tighten_file(tmp_path, umask_022):
    path = tmp_path / "portplus.db"
    path.write_text("x")
    assert mode_of(path) == 0o644
    files.tighten_file(path)
    assert mode_of(path) == 0o600
    files.tighten_file(tmp_path / "missing.db")  # nothing to do, no error
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file to someone else")
def test_files_of_someone_else_are_left_alone(tmp_path):
    path = tmp_path / "theirs.db"
    path.write_text("x")
    os.chmod(path, 0o644)
    os.chown(path, 65534, -1)
    files.tighten_file(path)
    assert mode_of(path) == 0o644
    assert files.readable_by_others(path)


@pytest.mark.parametrize(("mode", "exposed"), [
    (0o600, False), (0o400, False), (0o700, False),
    (0o644, True), (0o640, True), (0o604, True), (0o602, True), (0o620, True), (0o660, True),
])
def test_readable_by_others_private(tmp_path, mode, exposed):
    path = tmp_path / "f"
    path.write_text("x")
    os.chmod(path, mode)
    assert files.readable_by_others(path) is exposed


def test_readable_by_others_missing_file(tmp_path):
    assert files.readable_by_others(tmp_path / "none") is False


def test_group_id_of_an_unknown_group():
    with pytest.raises(files.PermissionProblem, match="groupadd no-such-group-pp"):
        files.group_id("no-such-group-pp")


def test_shared_mode_folders_files_and_checks(tmp_path, shared_group, umask_022):
    gid = grp.getgrnam(shared_group).gr_gid
    data = files.private_dir(tmp_path / "srv" / "data", shared_group)
    for folder in (tmp_path / "srv", data):
        info = os.stat(folder)
        assert stat.S_IMODE(info.st_mode) == 0o2770, folder
        assert info.st_gid == gid
    # New files inherit the group (set-group-id folder); tighten_file gives 0660.
    db = data / "portplus.db"
    db.write_text("x")
    assert os.stat(db).st_gid == gid
    files.tighten_file(db, shared_group)
    assert mode_of(db) == 0o660
    assert not files.readable_by_others(db, shared_group)
    # Group-readable is fine only for that group.
    assert files.readable_by_others(db)  # private mode: the group is "others"
    os.chown(db, -1, os.getegid() if os.getegid() != gid else 65534)
    assert files.readable_by_others(db, shared_group)
    files.tighten_file(db, shared_group)
    assert os.stat(db).st_gid == gid and mode_of(db) == 0o660
    os.chmod(db, 0o664)
    assert files.readable_by_others(db, shared_group)
    # An existing private folder is switched to the shared mode.
    old = tmp_path / "old"
    old.mkdir(mode=0o700)
    files.private_dir(old, shared_group)
    assert stat.S_IMODE(os.stat(old).st_mode) == 0o2770 and os.stat(old).st_gid == gid


def test_shared_mode_with_an_unknown_group(tmp_path):
    with pytest.raises(files.PermissionProblem, match="no-such-group-pp"):
        files.private_dir(tmp_path / "x", "no-such-group-pp")
    assert files.readable_by_others(tmp_path, "no-such-group-pp") is False  # 0700 folder


def test_sqlite_helpers():
    assert files.sqlite_file("sqlite:////srv/p%20p/portplus.db?x=1") == Path("/srv/p p/portplus.db")
    assert files.sqlite_file("sqlite:///rel.db") == Path("rel.db")
    assert files.sqlite_file("sqlite:///:memory:") is None
    assert files.sqlite_file("postgresql://u@h/db") is None
    assert files.sqlite_files("/d/p.db") == [Path("/d/p.db"), Path("/d/p.db-wal"),
                                            Path("/d/p.db-shm")]
    assert files.fix_command("/d/p.db") == "chmod 600 /d/p.db"
    assert files.fix_command("/d/a b.db") == "chmod 600 '/d/a b.db'"
    assert files.fix_command("/d/p.db", "portplus") == "chgrp portplus /d/p.db && chmod 660 /d/p.db"
