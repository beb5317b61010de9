"""The provider command line, in exactly its documented forms. Validation errors go to
stderr with exit code 2 and write nothing."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date, timedelta

import pytest

from portplus_tui.__main__ import main


@pytest.fixture
def cli(tmp_path, monkeypatch, database_url):
    """Run `portplus ARGS` in-process against a fresh database; returns (code, out, err)."""
    monkeypatch.setenv("PORTPLUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PORTPLUS_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTPLUS_BCRYPT_ROUNDS", "4")
    monkeypatch.delenv("PORTPLUS_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))

    def run(*args: str):
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.setattr(sys, "stdout", out)
        monkeypatch.setattr(sys, "stderr", err)
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
        finally:
            monkeypatch.setattr(sys, "stdout", sys.__stdout__)
            monkeypatch.setattr(sys, "stderr", sys.__stderr__)
        return code, out.getvalue(), err.getvalue()

    assert run("init")[0] == 0
    return run


def test_init_is_idempotent(cli):
    code, out, _ = cli("init")
    assert code == 0 and "up to date" in out
    code, out, _ = cli("migrate")
    assert code == 0 and "up to date" in out


def test_company_add_show_set_list(cli):
    code, out, err = cli("company", "add", "m97-00339", "--name", "NTT BizLink",
                         "--address", "東京都文京区小石川1-4-1", "--ports", "30")
    assert code == 0, err
    assert "member_no: M97-00339" in out and "ports: 30" in out and "two_factor: off" in out
    code, out, _ = cli("company", "set", "M97-00339", "--two-factor", "on", "--note", "メモ",
                       "--ports", "４０")
    assert code == 0 and "two_factor: on" in out and "ports: 40" in out and "note: メモ" in out
    code, out, _ = cli("company", "show", "M97-00339")
    assert "name: NTT BizLink" in out and "address: 東京都文京区小石川1-4-1" in out
    cli("company", "add", "M97-00340", "--name", "二段階認証デモ", "--address", "x", "--ports", "1",
        "--two-factor")
    code, out, _ = cli("company", "list")
    lines = out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["M97-00339", "M97-00340"]
    assert "two_factor=on" in lines[1]


@pytest.mark.parametrize("args", [
    ("company", "add", "M97-1", "--name", "x", "--address", "y", "--ports", "-3"),
    ("company", "add", "M97-1", "--name", "", "--address", "y", "--ports", "3"),
    ("company", "add", "M97\x00", "--name", "x", "--address", "y", "--ports", "3"),
    ("company", "add", "M97-1", "--name", "x", "--address", "y"),
    ("company", "set", "M97-00339", "--ports", "many"),
    ("company", "set", "M97-00339", "--two-factor", "maybe"),
    ("company", "set", "M97-00339"),
    ("company", "set", "NOPE-1", "--ports", "3"),
    ("company", "add", "M97-00339", "--name", "dup", "--address", "y", "--ports", "3"),
])
def test_company_validation_errors_exit_2_and_change_nothing(cli, args):
    cli("company", "add", "M97-00339", "--name", "NTT", "--address", "addr", "--ports", "30")
    before = cli("company", "show", "M97-00339")[1], cli("company", "list")[1]
    code, out, err = cli(*args)
    assert code == 2
    assert err.strip() and "Traceback" not in err
    assert (cli("company", "show", "M97-00339")[1], cli("company", "list")[1]) == before


def test_calendar_commands(cli):
    code, out, _ = cli("calendar", "deadline", "2021-03-17", "2027-01-05")
    assert code == 0 and out.splitlines() == ["2021-03-15", "2026-12-28"]
    code, out, _ = cli("calendar", "billing-period", "2021-02")
    assert out.splitlines() == ["2021-02-21", "2021-03-20"]
    code, out, _ = cli("calendar", "business-days", "2026-12-25", "2027-01-06")
    assert out.splitlines() == ["2026-12-25", "2026-12-28", "2027-01-04", "2027-01-05", "2027-01-06"]


def test_calendar_deadline_agrees_with_an_independent_calendar_2020_2035(cli):
    """Every date 2020-2035 through the CLI, against the `holidays` package (not
    jpholiday): weekends, national holidays and 12/29-1/3 are not business days."""
    import holidays

    japan = holidays.Japan(years=range(2019, 2036))

    def business(d: date) -> bool:
        return d.weekday() < 5 and d not in japan and not (
            (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3))

    def oracle(d: date) -> date:
        found, day = 0, d
        while found < 2:
            day -= timedelta(days=1)
            found += business(day)
        return day

    days = [date(2020, 1, 1) + timedelta(days=k) for k in range((date(2035, 12, 31) - date(2020, 1, 1)).days + 1)]
    code, out, _ = cli("calendar", "deadline", *[d.isoformat() for d in days])
    assert code == 0
    assert out.splitlines() == [oracle(d).isoformat() for d in days]


@pytest.mark.parametrize("args", [
    ("calendar", "deadline", "2021-02-30"),
    ("calendar", "deadline", "2021-03-17", "junk"),
    ("calendar", "business-days", "2021-03-17", "2021-03-01"),
    ("calendar", "billing-period", "2021-13"),
    ("calendar", "closed-day", "add", "20210317"),
])
def test_calendar_errors_exit_2_print_nothing(cli, args):
    code, out, err = cli(*args)
    assert code == 2 and out == "" and err.strip()


def test_closed_days_change_deadlines(cli):
    assert cli("calendar", "closed-day", "add", "2021-03-15")[0] == 0
    assert cli("calendar", "deadline", "2021-03-17")[1].strip() == "2021-03-12"
    code, _, err = cli("calendar", "closed-day", "add", "2021-03-15")
    assert code == 2 and "2021-03-15" in err
    assert cli("calendar", "closed-day", "list")[1].split() == ["2021-03-15"]
    assert cli("calendar", "closed-day", "remove", "2021-03-15")[0] == 0
    assert cli("calendar", "closed-day", "remove", "2021-03-15")[0] == 2
    assert cli("calendar", "deadline", "2021-03-17")[1].strip() == "2021-03-15"


def test_demo_and_export(cli):
    code, out, err = cli("demo", "--no-launch", "--applications", "500")
    assert code == 0, err
    assert "M97-00339  admin@example.com  demo-admin-1" in out
    assert "M97-00340  admin@example.com  demo-admin-1" in out
    code, out, _ = cli("company", "show", "M97-00340")
    assert "two_factor: on" in out
    code, out, err = cli("applications", "export", "M97-00339")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["申込番号", "適用日", "追加ポート数", "申込者", "申込日", "状態", "申込期限"]
    assert len(rows) == 1 + 60 + 500
    states = {row[5] for row in rows[1:]}
    assert states == {"受付", "キャンセル済"}
    dates = [row[1] for row in rows[1:]]
    assert dates == sorted(dates)
    first, last = dates[len(dates) // 3], dates[2 * len(dates) // 3]
    code, out, _ = cli("applications", "export", "M97-00339", "--from", first, "--to", last)
    some = list(csv.reader(io.StringIO(out)))[1:]
    assert some and all(first <= row[1] <= last for row in some)
    # A second run adds no second set of demo data.
    cli("demo", "--no-launch")
    assert len(list(csv.reader(io.StringIO(cli("applications", "export", "M97-00339")[1])))) == 561


def test_export_errors(cli):
    assert cli("applications", "export", "NOPE-1")[0] == 2
    cli("company", "add", "M97-00339", "--name", "NTT", "--address", "addr", "--ports", "30")
    code, out, err = cli("applications", "export", "M97-00339", "--from", "2021-02-30")
    assert code == 2 and out == ""


def test_uninitialised_database_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTPLUS_DATA_DIR", str(tmp_path / "fresh"))
    monkeypatch.delenv("PORTPLUS_DATABASE_URL", raising=False)
    proc = subprocess.run([sys.executable, "-m", "portplus_tui", "company", "list"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "portplus init" in proc.stderr and "Traceback" not in proc.stderr


def _add_company(cli):
    assert cli("company", "add", "M97-00339", "--name", "NTT", "--address", "addr", "--ports", "30")[0] == 0


def _account_add(cli, monkeypatch, password: str, email: str = "new.person@example.com"):
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return cli("account", "add", "M97-00339", email, "--name", "新人 一郎", "--role", "user",
               "--department", "営業部", "--expires", "2030-12-31", "--password-stdin")


@pytest.mark.parametrize("password, words", [
    ("short1", "短すぎ"),
    ("abcdefghij1234567890x", "長すぎ"),
    ("lettersonly", "数字"),
    ("1234567890", "英字"),
    ("ｐａｓｓｗｏｒｄ１２", "全角"),
    ("pass word12", "空白"),
    ("pässword12", "使えない文字"),
    ("password1", "よく使われて"),
    ("new1@example.com", "ログインID"),
])
def test_account_add_refuses_each_forbidden_password(cli, monkeypatch, password, words):
    _add_company(cli)
    code, out, err = _account_add(cli, monkeypatch, password, email="new1@example.com")
    assert code == 2 and words in err and out == ""
    assert cli("account", "list", "M97-00339")[1] == ""


def test_account_add_list_unlock_reset(cli, monkeypatch, tmp_path):
    _add_company(cli)
    code, out, err = _account_add(cli, monkeypatch, "Good-pass-77")
    assert code == 0, err
    code, out, _ = cli("account", "list", "M97-00339")
    assert out.split("\t")[:3] == ["new.person@example.com", "user", "新人 一郎"]
    code, _, err = _account_add(cli, monkeypatch, "Other-pass-78", email="NEW.person@example.com")
    assert code == 2 and err.strip()
    assert cli("account", "unlock", "M97-00339", "new.person@example.com")[0] == 0
    assert cli("account", "unlock", "M97-00339", "nobody@example.com")[0] == 2
    code, out, err = cli("account", "reset-password", "m97-00339", "New.Person@example.com")
    assert code == 0, err
    code, out, _ = cli("outbox", "--last", "1")
    assert "To:      new.person@example.com" in out and "パスワード再設定" in out
    code, out, _ = cli("audit", "M97-00339", "--last", "5")
    assert "account." in out and "Good-pass-77" not in out and "$2b$" not in out


def test_account_add_without_terminal_or_stdin_is_refused(cli, monkeypatch):
    _add_company(cli)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = cli("account", "add", "M97-00339", "a@example.com", "--name", "x", "--role",
                       "user", "--department", "d", "--expires", "2030-01-01")
    assert code == 2 and "--password-stdin" in err
