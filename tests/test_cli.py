"""The provider command line, in exactly its documented forms. Validation errors go to
stderr with exit code 2 and write nothing."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest

from portplus_tui.__main__ import main


def _runner(monkeypatch):
    """`portplus ARGS` in-process; returns (code, out, err)."""

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

    return run


@pytest.fixture
def cli(tmp_path, monkeypatch, database_url):
    """Run `portplus ARGS` in-process against a fresh database; returns (code, out, err)."""
    monkeypatch.setenv("PORTPLUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PORTPLUS_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTPLUS_BCRYPT_ROUNDS", "4")
    monkeypatch.delenv("PORTPLUS_CONFIG", raising=False)
    monkeypatch.delenv("PORTPLUS_LANG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    run = _runner(monkeypatch)
    assert run("init")[0] == 0
    return run


@pytest.fixture
def bare_cli(tmp_path, monkeypatch):
    """`portplus ARGS` in-process with no database made yet: data dir tmp_path/data
    (absent), default database URL, no config file."""
    monkeypatch.setenv("PORTPLUS_DATA_DIR", str(tmp_path / "data"))
    for name in ("PORTPLUS_DATABASE_URL", "PORTPLUS_CONFIG", "PORTPLUS_LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORTPLUS_BCRYPT_ROUNDS", "4")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return _runner(monkeypatch)


def one_line_error(code, out, err, expected_code: int = 2) -> str:
    """The single stderr line of a refusal (and nothing on stdout)."""
    assert code == expected_code, (code, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("portplus"), err
    assert "Traceback" not in err and out == ""
    return lines[0]


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
    assert lines == ["M97-00339\tNTT BizLink\t40\ton\t0", "M97-00340\t二段階認証デモ\t1\ton\t0"]


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


# ====================================================================== new-user audit
# 1. Commands that need an initialised database create nothing before refusing.
@pytest.mark.parametrize("args", [
    ("company", "list"),
    ("company", "show", "M97-00339"),
    ("company", "add", "M97-00339", "--name", "x", "--address", "y", "--ports", "3"),
    ("company", "set", "M97-00339", "--ports", "3"),
    ("applications", "export", "M97-00339"),
    ("account", "list", "M97-00339"),
    ("account", "unlock", "M97-00339", "a@example.com"),
    ("account", "reset-password", "M97-00339", "a@example.com"),
    ("audit", "M97-00339"),
    ("calendar", "closed-day", "add", "2031-03-17"),
    ("calendar", "closed-day", "list"),
])
def test_commands_on_a_missing_database_create_no_file_and_no_folder(bare_cli, tmp_path, args):
    line = one_line_error(*bare_cli(*args))
    assert "portplus init" in line
    assert not (tmp_path / "data").exists()


def test_account_add_on_a_missing_database_creates_nothing_and_reads_no_password(
        bare_cli, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Good-pass-77\n"))
    line = one_line_error(*bare_cli("account", "add", "M97-00339", "a@example.com", "--name", "x",
                                    "--role", "user", "--department", "d",
                                    "--expires", "2030-01-01", "--password-stdin"))
    assert "portplus init" in line and not (tmp_path / "data").exists()
    assert sys.stdin.read() == "Good-pass-77\n"


def test_a_database_that_init_could_not_create_either_says_so(bare_cli, tmp_path, monkeypatch):
    (tmp_path / "plain-file").write_text("not a folder")
    monkeypatch.setenv("PORTPLUS_DATA_DIR", str(tmp_path / "plain-file" / "sub"))
    line = one_line_error(*bare_cli("company", "list"))
    assert "データベースファイルを開けません" in line and "portplus init" not in line
    assert (tmp_path / "plain-file").read_text() == "not a folder"


def test_calendar_questions_and_init_on_a_missing_database(bare_cli, tmp_path):
    assert bare_cli("calendar", "deadline", "2021-03-17")[1] == "2021-03-15\n"
    assert not (tmp_path / "data").exists()
    assert bare_cli("init")[0] == 0
    assert (tmp_path / "data" / "portplus.db").is_file()
    assert bare_cli("company", "list") == (0, "", "")


# 2. Empty data dir: an empty environment variable is unset, an empty flag an error.
def test_empty_data_dir_variable_means_the_default_not_the_current_folder(
        bare_cli, tmp_path, monkeypatch):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("PORTPLUS_DATA_DIR", "")
    monkeypatch.setenv("PORTPLUS_DATABASE_URL", "")
    code, out, err = bare_cli("init")
    assert code == 0, err
    assert (tmp_path / "xdg" / "portplus" / "portplus.db").is_file()
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("flag", ["--data-dir", "--database-url", "--config"])
@pytest.mark.parametrize("value", ["", "  "])
def test_empty_location_flags_are_usage_errors(bare_cli, tmp_path, monkeypatch, flag, value):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    line = one_line_error(*bare_cli(flag, value, "init"))
    assert flag in line and "空" in line
    line = one_line_error(*bare_cli("--lang", "en", flag, value, "company", "list"))
    assert line == f"portplus: {flag} must not be empty (leave it out for the default)"
    assert list(work.iterdir()) == [] and not (tmp_path / "data").exists()


# 3. Numbers in the TOML file: no truncation, no booleans for numbers or the reverse.
@pytest.mark.parametrize("text, key", [
    ("closing_day = 15.7\n", "closing_day"),
    ("closing_day = true\n", "closing_day"),
    ("year_end_closure = 1\n", "year_end_closure"),
    ('max_ports = "12.5"\n', "max_ports"),
])
def test_config_file_values_of_the_wrong_type_are_refused(bare_cli, tmp_path, text, key):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    line = one_line_error(*bare_cli("--config", str(path), "calendar", "billing-period", "2021-02"))
    assert key in line and line.startswith("portplus: 設定: ")
    line = one_line_error(*bare_cli("--lang", "en", "--config", str(path), "calendar",
                                    "billing-period", "2021-02"))
    assert key in line and line.startswith("portplus: configuration: ")


# 4. Empty --from / --to are bad dates.
@pytest.mark.parametrize("option", ["--from", "--to"])
def test_export_refuses_an_empty_date(cli, option):
    _add_company(cli)
    line = one_line_error(*cli("applications", "export", "M97-00339", option, ""))
    assert "日付は YYYY-MM-DD の形式で入力してください。" in line


# 5. The command line's own messages follow the language.
LANG_CASES = [
    (("calendar", "business-days", "2021-03-17", "2021-03-01"),
     "FROM の日付が TO の日付より後", "FROM must not be after TO"),
    (("applications", "export", "M97-00339", "--from", "2021-03-17", "--to", "2021-03-01"),
     "--from の日付が --to の日付より後", "--from must not be after --to"),
    (("company", "set", "M97-00339"), "変更する項目がありません", "nothing to change"),
    (("outbox", "--last", "0"), "1~1000", "--last must be between 1 and 1000"),
    (("audit", "M97-00339", "--last", "1001"), "1~1000", "--last must be between 1 and 1000"),
    (("demo", "--applications", "-1"), "0~20000000",
     "--applications must be between 0 and 20000000"),
    (("calendar", "business-days", "1950-01-01", "2021-01-01"), "最大50年",
     "the range may span at most 50 years"),
    (("account", "add", "M97-00339", "x@example.com", "--name", "x", "--role", "user",
      "--department", "d", "--expires", "2030-01-01", "--password-stdin"),
     "標準入力にパスワードがありません", "no password on standard input"),
]


@pytest.mark.parametrize("args, ja, en", LANG_CASES)
def test_cli_messages_follow_the_language(cli, monkeypatch, args, ja, en):
    _add_company(cli)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    line = one_line_error(*cli(*args))
    assert ja in line and en not in line
    line = one_line_error(*cli("--lang", "en", *args))
    assert en in line
    monkeypatch.setenv("PORTPLUS_LANG", "en")
    assert en in one_line_error(*cli(*args))


def test_config_errors_follow_the_language_of_the_file_and_environment(bare_cli, tmp_path,
                                                                      monkeypatch):
    path = tmp_path / "c.toml"
    path.write_text('lang = "en"\nclosing_day = 99\n', encoding="utf-8")
    assert one_line_error(*bare_cli("--config", str(path), "company", "list")) == \
        f"portplus: configuration: {path}: closing_day must be between 1 and 28"
    monkeypatch.setenv("PORTPLUS_LANG", "ja")
    assert one_line_error(*bare_cli("--config", str(path), "company", "list")) == \
        f"portplus: 設定: {path}: closing_day は 1~28 の範囲にしてください。"


def test_export_csv_stays_japanese_whatever_the_language(cli):
    _add_company(cli)
    code, out, _ = cli("--lang", "en", "applications", "export", "M97-00339")
    assert code == 0 and out.splitlines()[0] == "申込番号,適用日,追加ポート数,申込者,申込日,状態,申込期限"


# 6. Help for every argument, --version, and no parser for the plain launch.
def _all_parsers(parser):
    import argparse

    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _all_parsers(child)


def test_every_argument_and_option_of_every_command_has_help():
    from portplus_tui.cli.parser import build_parser

    missing = []
    parsers = list(_all_parsers(build_parser()))
    assert len(parsers) > 20
    for parser in parsers:
        for action in parser._actions:
            if not (action.help or "").strip():
                missing.append(f"{parser.prog}: {action.dest}")
    assert missing == []


def test_help_names_formats_and_ranges(capsys):
    from portplus_tui.cli.parser import build_parser

    def help_of(*words):
        with pytest.raises(SystemExit) as exc:
            build_parser().parse_args([*words, "--help"])
        assert exc.value.code == 0
        return " ".join(capsys.readouterr().out.split())

    assert "0-100000" in help_of("company", "add")
    assert "YYYY-MM-DD" in help_of("applications", "export") and "included" in help_of(
        "applications", "export")
    assert "full-width digits accepted" in help_of("calendar", "deadline")
    text = help_of("account", "add")
    for option in ("--name", "--role", "--department", "--phone", "--expires"):
        assert option in text
    assert "130 interrupted" in help_of()


def test_version_from_the_package_metadata(bare_cli):
    from importlib.metadata import version

    assert bare_cli("--version") == (0, f"portplus {version('portplus-tui')}\n", "")


def test_version_without_package_metadata(monkeypatch):
    import importlib.metadata

    from portplus_tui.cli.parser import package_version

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert package_version().startswith("unknown")


def test_plain_launch_builds_no_parser(tmp_path):
    code = (
        "import sys\n"
        "import portplus_tui.__main__ as m\n"
        "import portplus_tui.cli.launch as launch\n"
        "launch.launch_tui = lambda settings: 0\n"
        "sys.modules['portplus_tui.cli.parser'] = None  # importing it fails\n"
        "assert m.main([]) == 0\n"
        "commands = ('data', 'accounts', 'reach', 'keys')\n"
        "print('argparse' in sys.modules, any('portplus_tui.cli.' + c in sys.modules for c in commands))\n"
    )
    env = {**os.environ, "PORTPLUS_DATA_DIR": str(tmp_path / "d"),
           "XDG_CONFIG_HOME": str(tmp_path / "c")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False False"


# 7. company list: plain tab-separated values, as README says.
def test_company_list_columns(cli, monkeypatch):
    _add_company(cli)
    assert cli("company", "list")[1] == "M97-00339\tNTT\t30\toff\t0\n"
    assert _account_add(cli, monkeypatch, "Good-pass-77")[0] == 0
    assert cli("company", "list")[1] == "M97-00339\tNTT\t30\toff\t1\n"


# 8. argparse errors: one line pointing at --help.
@pytest.mark.parametrize("args, words", [
    (("company", "add", "M97-00003", "--name", "x", "--address", "y"),
     "portplus company add: the following arguments are required: --ports "
     "(see portplus company add --help)"),
    (("account", "add", "M97-00339", "a@example.com", "--name", "x", "--role", "boss",
      "--department", "d", "--expires", "2030-01-01"),
     "portplus account add: argument --role: invalid choice: 'boss'"),
    (("company",), "portplus company: the following arguments are required: ACTION"),
    (("nonsense",), "portplus: argument COMMAND: invalid choice: 'nonsense'"),
    (("outbox", "--last", "many"), "portplus outbox: argument --last: invalid int value"),
    (("company", "list", "--bogus"), "portplus: unrecognized arguments: --bogus"),
])
def test_usage_errors_are_one_line(bare_cli, args, words):
    line = one_line_error(*bare_cli(*args))
    assert line.startswith(words) and line.endswith("--help)")


# 9. Ctrl-C and Ctrl-D.
def _in_pty(args, keys):
    """Run `portplus ARGS` in a pseudo-terminal (its controlling terminal, so Ctrl-C
    sends SIGINT); type each of ``keys`` at each prompt. (exit code, all output)."""
    import pty
    import select
    import signal
    import time

    argv = [sys.executable, "-m", "portplus_tui", *args]
    pid, fd = pty.fork()
    if pid == 0:  # the child: nothing but exec
        try:
            os.execve(sys.executable, argv, dict(os.environ))
        finally:
            os._exit(127)
    seen, prompts = b"", 0
    keys = list(keys)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
            if keys and seen.count(b": ") > prompts and seen.rstrip(b" ").endswith(b":"):
                prompts = seen.count(b": ")
                os.write(fd, keys.pop(0))
    finally:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0:  # still running after the deadline (or a failed assertion): stop it
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode("utf-8", "replace")


NEW_ACCOUNT = ("account", "add", "M97-00339", "new@example.com", "--name", "N", "--role", "user",
               "--department", "D", "--expires", "2030-12-31")


@pytest.mark.parametrize("keys, code, ja, en", [
    ([b"\x03"], 130, "中断しました。何も書き込んでいません。", "interrupted; nothing was written"),
    ([b"Good-pass-77\r", b"\x03"], 130, "中断しました。", "interrupted; nothing was written"),
    ([b"\x04"], 2, "パスワードが入力されませんでした", "no password given; nothing was written"),
    ([b"Good-pass-77\r", b"Other-pass-78\r"], 2, "2回入力したパスワードが一致しません",
     "the two passwords differ; nothing was written"),
])
def test_password_prompt_ctrl_c_ctrl_d_and_mismatch(cli, keys, code, ja, en):
    _add_company(cli)
    for lang, words in (("ja", ja), ("en", en)):
        got, output = _in_pty(("--lang", lang, *NEW_ACCOUNT), keys)
        assert got == code, output
        assert "Traceback" not in output and "unexpected" not in output, output
        lines = [line for line in output.splitlines() if line.startswith("portplus")]
        assert len(lines) == 1 and words in lines[0], output
    assert cli("account", "list", "M97-00339")[1] == ""


def test_password_prompt_comes_after_every_check(cli):
    _add_company(cli)
    unknown = list(NEW_ACCOUNT)
    unknown[2] = "M99-99999"
    got, output = _in_pty(unknown, [b"\x03"])
    assert got == 2 and "password" not in output and "M99-99999" in output, output


@pytest.mark.parametrize("args, read_only", [
    (("company", "list"), True),
    (("calendar", "deadline", "2021-03-17"), True),
    (("company", "add", "M97-00001", "--name", "x", "--address", "y", "--ports", "1"), False),
])
def test_ctrl_c_anywhere_is_one_line_and_exit_130(cli, monkeypatch, args, read_only):
    import portplus_tui.cli.main as cli_module

    def interrupted(*_args):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli_module.COMMANDS, args[0], interrupted)
    line = one_line_error(*cli("--lang", "en", *args), expected_code=130)
    assert line == ("portplus: interrupted; nothing was written" if read_only
                    else "portplus: interrupted")


# 10. Everything that can be checked is checked before the password is read.
@pytest.mark.parametrize("change, words", [
    ({2: "M99-99999"}, "M99-99999"),
    ({3: "not-an-address"}, "メールアドレス"),
    ({3: "USER.one@EXAMPLE.com"}, "既に使われています"),
    ({5: " "}, "担当者名"),
    ({9: ""}, "部署"),
    ({11: "2020-01-01"}, "有効期限"),
    ({11: "2030-02-30"}, "存在しない日付"),
    ({"phone": "abc"}, "電話番号"),
])
def test_account_add_checks_everything_before_reading_the_password(cli, monkeypatch, change, words):
    _add_company(cli)
    assert _account_add(cli, monkeypatch, "Good-pass-77", email="user.one@example.com")[0] == 0
    args = list(NEW_ACCOUNT)
    for index, value in change.items():
        if index == "phone":
            args += ["--phone", value]
        else:
            args[index] = value
    for extra in ([], ["--password-stdin"]):
        monkeypatch.setattr(sys, "stdin", io.StringIO("Good-pass-77\n"))  # not a terminal
        line = one_line_error(*cli(*args, *extra))
        assert words in line and "--password-stdin" not in line, line
        assert sys.stdin.read() == "Good-pass-77\n"  # not read
    assert cli("company", "list")[1].split("\t")[-1] == "1\n"


# 11. A mail that cannot be sent: one line on stderr, exit 1, the details in the log.
def test_reset_mail_failure_is_one_line_exit_1_and_logged_to_the_file(cli, monkeypatch, tmp_path):
    import socket

    _add_company(cli)
    assert _account_add(cli, monkeypatch, "Good-pass-77")[0] == 0
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        env = {**os.environ, "PORTPLUS_MAIL_BACKEND": "smtp", "PORTPLUS_SMTP_HOST": "127.0.0.1",
               "PORTPLUS_SMTP_PORT": str(closed.getsockname()[1]), "PORTPLUS_SMTP_TIMEOUT": "5"}
        proc = subprocess.run([sys.executable, "-m", "portplus_tui", "account", "reset-password",
                               "M97-00339", "new.person@example.com"],
                              capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == "portplus: メールを送信できませんでした。しばらくしてから再度お試しください。\n"
    assert proc.stdout == ""
    log = (tmp_path / "data" / "logs" / "portplus.log").read_text(encoding="utf-8")
    assert "mail to new.person@example.com not sent via 127.0.0.1" in log


def test_a_command_that_logs_nothing_creates_no_log_folder(cli, tmp_path):
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-m", "portplus_tui", "company", "list"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0 and proc.stderr == ""
    assert not (tmp_path / "data" / "logs").exists()


# 12. Account states; unlocking an account that is not locked changes nothing.
def _set_account(database_url: str, login_id: str, **changes) -> None:
    from portplus_tui.store import models as m
    from portplus_tui.store.db import bind, open_database

    db = bind(open_database(database_url))
    try:
        assert m.Account.update(**changes).where(m.Account.login_id == login_id).execute() == 1
    finally:
        db.close()


def test_account_list_states_and_unlock(cli, monkeypatch, database_url):
    from datetime import datetime, timezone

    _add_company(cli)
    for email in ("a.locked@example.com", "b.expired@example.com", "c.fine@example.com"):
        assert _account_add(cli, monkeypatch, "Good-pass-77", email=email)[0] == 0
    soon = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(minutes=10)
    _set_account(database_url, "a.locked@example.com", failed_count=5, locked_until=soon)
    _set_account(database_url, "b.expired@example.com", expires=date(2020, 1, 1))
    _set_account(database_url, "c.fine@example.com", failed_count=2,
                 locked_until=soon - timedelta(hours=1))  # a lock that has run out
    states = {line.split("\t")[0]: line.split("\t")[-1]
              for line in cli("account", "list", "M97-00339")[1].splitlines()}
    assert states == {"a.locked@example.com": "locked", "b.expired@example.com": "expired",
                      "c.fine@example.com": "ok"}

    def audit_lines():
        return cli("audit", "M97-00339", "--last", "1000")[1].splitlines()

    before = audit_lines()
    assert cli("account", "unlock", "M97-00339", "b.expired@example.com") == (
        0, "not locked: b.expired@example.com (nothing changed)\n", "")
    assert audit_lines() == before  # nothing written
    assert cli("account", "unlock", "M97-00339", "A.Locked@example.com") == (
        0, "unlocked: a.locked@example.com\n", "")
    assert len(audit_lines()) == len(before) + 1
    assert cli("account", "unlock", "M97-00339", "a.locked@example.com")[1] == \
        "not locked: a.locked@example.com (nothing changed)\n"
    assert cli("account", "unlock", "M97-00339", "c.fine@example.com")[1] == \
        "not locked: c.fine@example.com (failed-login count cleared)\n"
    assert len(audit_lines()) == len(before) + 2
    assert [line.split("\t")[-1] for line in cli("account", "list", "M97-00339")[1].splitlines()] \
        == ["ok", "expired", "ok"]
