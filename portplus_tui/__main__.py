"""`portplus`: the TUI (no sub-command) and the provider's command line.

Exit codes: 0 done; 1 a failure that is not the input's fault (a mail that could not be
sent, someone else changed the row first, an unexpected error, logged with its
traceback); 2 a usage or validation error (one line on stderr, nothing written);
130 interrupted (Ctrl-C). Messages on stderr follow ``--lang`` / ``lang``; what a
command prints on stdout (its data, its one-line confirmations) is a fixed format.

Imports are kept lazy: `portplus` with no arguments must paint the login screen fast
(bench/startup.py), so that launch does not even import argparse or build the parser of
the sub-commands (``_bare_launch``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:
    import argparse

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class CliError(Exception):
    """A problem found by the command line itself: one line on stderr in the user's
    language (as ``core.errors.PortPlusError.message``), exit ``code`` (2: usage)."""

    def __init__(self, ja: str, en: str, *, code: int = EXIT_USAGE):
        super().__init__(en)
        self.ja = ja
        self.en = en
        self.code = code
        self.lang: str | None = None  # set when the language is known better than main's

    def message(self, lang: str = "ja") -> str:
        return self.ja if lang == "ja" else self.en


def _interrupted(nothing_written: bool) -> CliError:
    if nothing_written:
        return CliError("中断しました。何も書き込んでいません。", "interrupted; nothing was written",
                        code=EXIT_INTERRUPTED)
    return CliError("中断しました。", "interrupted", code=EXIT_INTERRUPTED)


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    import argparse

    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("global options")
    group.add_argument("--config", metavar="FILE", default=default,
                       help="TOML settings file (env PORTPLUS_CONFIG; default: config.toml in "
                            "the user config dir)")
    group.add_argument("--database-url", metavar="URL", default=default,
                       help="sqlite:///path.db or postgresql://user@host/db (env "
                            "PORTPLUS_DATABASE_URL; default: portplus.db in the data dir)")
    group.add_argument("--data-dir", metavar="DIR", default=default,
                       help="folder of the default SQLite file, the outbox and logs (env "
                            "PORTPLUS_DATA_DIR)")
    group.add_argument("--lang", choices=("ja", "en"), default=default,
                       help="language of messages and screens (env PORTPLUS_LANG; default ja)")


def package_version() -> str:
    """The installed package's version (importlib.metadata), or a plain word saying it
    is not known (running from a source tree that was never installed)."""
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - the standard library has it since 3.8
        return "unknown"
    try:
        return version("portplus-tui")
    except PackageNotFoundError:
        return "unknown (not installed)"
    except Exception:  # noqa: BLE001 - broken metadata must not break --version
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    import argparse

    class Parser(argparse.ArgumentParser):
        """Usage errors in one line on stderr (exit 2), pointing at --help."""

        def error(self, message: str):  # type: ignore[override]
            message = " ".join(message.split())
            self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")

    class Version(argparse.Action):
        """--version: read from the package metadata only when asked."""

        def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                     help=None):
            super().__init__(option_strings, dest, default=default, nargs=0, help=help)

        def __call__(self, parser, namespace, values, option_string=None):
            sys.stdout.write(f"portplus {package_version()}\n")
            parser.exit(EXIT_OK)

    common = Parser(add_help=False)
    _global_options(common, suppress=True)

    parser = Parser(
        prog="portplus",
        description="ポートプラス (Port Plus). Without a command: the terminal app.",
        epilog="exit codes: 0 done, 1 failed (mail not sent, conflict, unexpected error), "
               "2 usage or validation error (nothing written), 130 interrupted",
    )
    parser.add_argument("--version", action=Version, help="print the version and exit")
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND",
                                help="what to do (portplus COMMAND --help for its options)")

    def add(name: str, help_text: str, parent=sub) -> argparse.ArgumentParser:
        return parent.add_parser(name, help=help_text, description=help_text, parents=[common])

    member = "会員番号, e.g. M97-00339 (case-insensitive, full-width accepted)"
    date_help = "YYYY-MM-DD (full-width digits accepted)"

    add("init", "create or upgrade the database (idempotent)")
    add("migrate", "apply pending database migrations (same as init)")

    company = add("company", "companies (会員)")
    csub = company.add_subparsers(dest="action", metavar="ACTION", required=True,
                                  help="one of these")
    p = add("add", "add a company", csub)
    p.add_argument("member_no", metavar="MEMBER_NO",
                   help="会員番号: 3-20 letters, digits and hyphens, e.g. M97-00339")
    p.add_argument("--name", required=True, help="会員名, the company name (at most 100 characters)")
    p.add_argument("--address", required=True, help="住所 (one line, at most 200 characters)")
    p.add_argument("--ports", required=True, metavar="N",
                   help="契約ポート数, contracted ports: a whole number 0-100000")
    p.add_argument("--two-factor", action="store_true",
                   help="turn on the two-step login option (二段階認証)")
    p = add("set", "change a company (give at least one option)", csub)
    p.add_argument("member_no", metavar="MEMBER_NO", help=member)
    p.add_argument("--name", help="new 会員名 (at most 100 characters)")
    p.add_argument("--address", help="new 住所 (one line, at most 200 characters)")
    p.add_argument("--ports", metavar="N", help="new 契約ポート数: a whole number 0-100000")
    p.add_argument("--two-factor", metavar="on|off",
                   help="the two-step login option: on or off (also yes/no, true/false, 1/0)")
    p.add_argument("--note", metavar="TEXT",
                   help="the company's Note (replaces it; at most 2000 characters; '' clears it)")
    p = add("show", "show a company", csub)
    p.add_argument("member_no", metavar="MEMBER_NO", help=member)
    add("list", "list the companies, tab-separated: member_no, name, ports, two_factor "
                "(on/off), accounts", csub)

    cal = add("calendar", "business days and deadlines")
    calsub = cal.add_subparsers(dest="action", metavar="ACTION", required=True,
                                help="one of these")
    p = add("deadline", "print the deadline (申込期限) of each date, one per line", calsub)
    p.add_argument("dates", nargs="+", metavar="DATE", help=f"適用日: {date_help}")
    p = add("business-days", "list the business days from FROM to TO (both included)", calsub)
    p.add_argument("start", metavar="FROM", help=f"first day: {date_help}")
    p.add_argument("end", metavar="TO", help=f"last day, included: {date_help}; at most 50 "
                                              "years after FROM")
    p = add("billing-period", "print the first and last day of a billing month", calsub)
    p.add_argument("month", metavar="YYYY-MM", help="the billing month, e.g. 2021-02")
    closed = add("closed-day", "provider-defined closed days", calsub)
    closedsub = closed.add_subparsers(dest="closed_action", metavar="ACTION", required=True,
                                      help="one of these")
    p = add("add", "add a closed day", closedsub)
    p.add_argument("date", metavar="DATE", help=date_help)
    p = add("remove", "remove a closed day", closedsub)
    p.add_argument("date", metavar="DATE", help=date_help)
    add("list", "list the closed days", closedsub)

    apps = add("applications", "Port Plus applications")
    appsub = apps.add_subparsers(dest="action", metavar="ACTION", required=True,
                                help="one of these")
    p = add("export", "CSV (UTF-8, header row) of a company's applications on stdout", appsub)
    p.add_argument("member_no", metavar="MEMBER_NO", help=member)
    p.add_argument("--from", dest="start", metavar="DATE",
                   help=f"first 適用日, included: {date_help} (default: the oldest)")
    p.add_argument("--to", dest="end", metavar="DATE",
                   help=f"last 適用日, included: {date_help} (default: the newest)")

    account = add("account", "accounts of a company")
    asub = account.add_subparsers(dest="action", metavar="ACTION", required=True,
                                  help="one of these")
    p = add("add", "add an account (asks for the password twice unless --password-stdin)", asub)
    p.add_argument("member_no", metavar="MEMBER_NO", help=member)
    p.add_argument("email", metavar="EMAIL", help="the login ID, an e-mail address (unique "
                                                  "in the company, case-insensitively)")
    p.add_argument("--name", required=True, help="担当者名, the person's name (at most 50 characters)")
    p.add_argument("--role", required=True, choices=("admin", "user"), help="権限: admin or user")
    p.add_argument("--department", required=True, help="部署 (at most 50 characters)")
    p.add_argument("--phone", default="", help="電話番号: 6-20 digits, '-', '+', '(', ')' or "
                                               "spaces (optional)")
    p.add_argument("--expires", required=True, metavar="YYYY-MM-DD",
                   help="有効期限: the last day the account may log in (today or later)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input")
    p = add("list", "list the accounts of a company, tab-separated: login id, role, name, "
                    "department, phone, expires, state (ok, locked, expired)", asub)
    p.add_argument("member_no", metavar="MEMBER_NO", help=member)
    p = add("unlock", "clear a lock after failed logins", asub)
    p.add_argument("member_no", metavar="MEMBER_NO", help=member)
    p.add_argument("email", metavar="EMAIL", help="the account's login ID")
    p = add("reset-password", "send the password-reset mail to an account", asub)
    p.add_argument("member_no", metavar="MEMBER_NO", help=member)
    p.add_argument("email", metavar="EMAIL", help="the account's login ID")

    p = add("outbox", "print the newest mails of the file outbox, decoded")
    p.add_argument("--last", type=int, default=5, metavar="N", help="how many, 1-1000 (default 5)")

    p = add("audit", "print a company's audit log, newest first")
    p.add_argument("member_no", metavar="MEMBER_NO", help=member)
    p.add_argument("--last", type=int, default=50, metavar="N",
                   help="how many entries, 1-1000 (default 50)")

    p = add("demo", "fill a demo database (default: demo.db in the data dir, never the "
                    "configured one unless --database-url / PORTPLUS_DATABASE_URL / "
                    "database_url names it) with demo data and launch the app on it; refused "
                    "on a database holding companies the demo did not create")
    p.add_argument("--applications", type=int, default=0, metavar="N",
                   help="add N applications (0-20000000) to M97-00339 over the two years "
                        "around today")
    p.add_argument("--no-launch", action="store_true", help="only seed, do not start the app")

    add("ssh-session", "what sshd runs for an operator (ForceCommand, deploy/ssh/portplus.conf): "
                       "refuses commands, file transfers and sessions without a terminal, then "
                       "starts the app")

    add("keys", "every key of the app that a [keymap] table in the config file can remap: "
                "id, default key(s), where it acts, what it does (tab-separated)")

    p = add("serve", "the app in a browser (textual-serve): one app process per tab, each "
                     "with its own login; needs the 'web' extra")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this host only; put a "
                        "TLS reverse proxy in front for others, README)")
    p.add_argument("--port", type=int, default=8000, help="port (1-65535, default 8000)")
    p.add_argument("--public-url", metavar="URL",
                   help="the address browsers use, e.g. https://portal.example.com/ behind a "
                        "proxy (default http://HOST:PORT); the only Origin accepted")
    p.add_argument("--max-sessions", type=int, default=20, metavar="N",
                   help="at most N app processes at a time (default 20); past it a page "
                        "says the server is busy")
    # What `serve` starts for each tab: not for people, so not listed (no help=).
    sub.add_parser("web-session", parents=[common],
                   description="one browser tab's app, started by portplus serve")
    return parser


# ---------------------------------------------------------------- plumbing
def _early_lang(args) -> str:
    """The language for messages before the settings are known: the flag, else the
    environment, else Japanese (the default)."""
    import os

    for candidate in (getattr(args, "lang", None), os.environ.get("PORTPLUS_LANG")):
        if isinstance(candidate, str) and candidate.strip().lower() in ("ja", "en"):
            return candidate.strip().lower()
    return "ja"


def _settings(args: argparse.Namespace):
    from portplus_tui.config import ConfigError, load_settings

    # An empty environment variable counts as unset (config.load_settings); an empty
    # flag is a mistake: `--data-dir ''` would otherwise mean the current folder.
    for flag, value in (("--config", getattr(args, "config", None)),
                        ("--database-url", getattr(args, "database_url", None)),
                        ("--data-dir", getattr(args, "data_dir", None))):
        if value is not None and not value.strip():
            raise CliError(f"{flag} に空の値は指定できません(既定値を使うには {flag} を省略してください)。",
                           f"{flag} must not be empty (leave it out for the default)")
    try:
        return load_settings(
            getattr(args, "config", None),
            overrides={
                "database_url": getattr(args, "database_url", None),
                "data_dir": getattr(args, "data_dir", None),
                "lang": getattr(args, "lang", None),
            },
        )
    except ConfigError as exc:
        lang = getattr(args, "lang", None) or exc.lang or _early_lang(args)
        error = CliError(f"設定: {exc.message('ja')}", f"configuration: {exc.message('en')}")
        error.lang = lang
        raise error from None


def _not_initialised() -> CliError:
    return CliError("データベースが初期化されていません。先に `portplus init` を実行してください。",
                    "The database is not initialised or is out of date: run `portplus init` first.")


def _refuse_missing_sqlite_file(settings) -> None:
    """A SQLite file that does not exist is not opened (opening would create it, and its
    folder): only `init`, `migrate` and `demo` create the database. Where `init` could
    not create it either (a file in the way, a folder nobody may write to), say that."""
    import errno
    import os

    from portplus_tui.store.db import cannot_open, is_sqlite_url, sqlite_path

    url = settings.resolved_database_url
    if not is_sqlite_url(url):
        return
    path = sqlite_path(url)
    if path is None or path.name in ("", ":memory:"):
        return  # open_database explains what is wrong with the URL
    try:
        os.stat(path)
        return
    except FileNotFoundError:
        pass
    except OSError as exc:  # e.g. ENOTDIR: a plain file where a folder should be
        raise cannot_open(path, exc) from None
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise cannot_open(path, NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise cannot_open(path, PermissionError(errno.EACCES, os.strerror(errno.EACCES)))
    raise _not_initialised()


def _context(settings, *, migrate: bool = False, require_schema: bool = True):
    """The services' context on the configured database. ``require_schema``: refuse
    (before connecting, creating nothing) a database that `portplus init` has not set up."""
    if require_schema and not migrate:
        _refuse_missing_sqlite_file(settings)
    from portplus_tui.services.context import AppContext

    ctx = AppContext.open(settings, migrate=migrate)
    if require_schema and not migrate:
        from portplus_tui.store.migrations import LATEST, current_version

        try:
            version = current_version(ctx.db)
        except BaseException:
            ctx.close()
            raise
        if version < LATEST:
            ctx.close()
            raise _not_initialised()
    return ctx


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def _yes_no(flag: bool) -> str:
    return "on" if flag else "off"


# ---------------------------------------------------------------- commands
def _secure_files(settings) -> list:
    """What `init` owes installs made by older versions: the data folder and the SQLite
    files this process owns get their modes (0700 / 0600, or 2770 / 0660 in the shared
    mode). Returns the files that others could read before."""
    from portplus_tui.store.db import tighten_sqlite_files
    from portplus_tui.store.files import PermissionProblem, private_dir, sqlite_file

    try:
        private_dir(settings.resolved_data_dir, settings.shared_group)
        path = sqlite_file(settings.resolved_database_url)
        return tighten_sqlite_files(path, settings.shared_group) if path is not None else []
    except NotADirectoryError:
        return []  # the database step reports it
    except PermissionProblem as exc:
        raise CliError(f"ファイルの権限を設定できません: {exc}",
                       f"cannot set file permissions: {exc}") from None


def _ensure_secret_key(ctx) -> None:
    """Make the key file now (when no PORTPLUS_SECRET_KEY is set), so that the app
    never has to, and check it: a key file others can read stops here."""
    ctx.secret_key()


def cmd_init(args, settings) -> int:
    from portplus_tui.store.db import redact_url
    from portplus_tui.store.migrations import LATEST

    ctx = _context(settings, migrate=False, require_schema=False)
    try:
        from portplus_tui.store.migrations import migrate

        applied = migrate(ctx.db)
        fixed = _secure_files(settings)
        _ensure_secret_key(ctx)
    finally:
        ctx.close()
    where = redact_url(settings.resolved_database_url)
    if applied:
        _out(f"{where}: applied migrations {', '.join(map(str, applied))} (schema version {LATEST})")
    else:
        _out(f"{where}: up to date (schema version {LATEST})")
    for path in fixed:
        _out(f"made private (others could read it): {path}")
    return EXIT_OK


def _print_company(info) -> None:
    _out(f"member_no: {info.member_no}")
    _out(f"name: {info.name}")
    _out(f"address: {info.address}")
    _out(f"ports: {info.ports}")
    _out(f"two_factor: {_yes_no(info.two_factor)}")
    _out(f"accounts: {info.account_count}")
    _out("note: " + info.note.replace("\n", "\n      "))


def cmd_company(args, settings) -> int:
    from portplus_tui.core.validation import parse_on_off
    from portplus_tui.services import companies

    ctx = _context(settings)
    try:
        if args.action == "add":
            info = companies.add_company(ctx, args.member_no, name=args.name, address=args.address,
                                         ports=args.ports, two_factor=args.two_factor)
            _print_company(companies.find_company(ctx, info.member_no))
        elif args.action == "set":
            two_factor = None if args.two_factor is None else parse_on_off(args.two_factor, "two_factor")
            if all(x is None for x in (args.name, args.address, args.ports, two_factor, args.note)):
                raise CliError("変更する項目がありません。--name、--address、--ports、--two-factor、"
                               "--note のいずれかを指定してください。",
                               "nothing to change: give at least one of --name, --address, "
                               "--ports, --two-factor, --note")
            info = companies.set_company(ctx, args.member_no, name=args.name, address=args.address,
                                         ports=args.ports, two_factor=two_factor, note=args.note)
            _print_company(companies.find_company(ctx, info.member_no))
        elif args.action == "show":
            _print_company(companies.find_company(ctx, args.member_no))
        else:
            for info in companies.list_companies(ctx):
                _out("\t".join((info.member_no, info.name, str(info.ports),
                                _yes_no(info.two_factor), str(info.account_count))))
    finally:
        ctx.close()
    return EXIT_OK


def _calendar(settings):
    """The business calendar with the stored closed days when the database exists
    (calendar questions should not create or require a database)."""
    from portplus_tui.core.calendar import BusinessCalendar, CalendarRules
    from portplus_tui.store.db import is_sqlite_url, sqlite_path

    rules = CalendarRules(deadline_business_days=settings.deadline_business_days,
                          year_end_closure=settings.year_end_closure,
                          closing_day=settings.closing_day)
    url = settings.resolved_database_url
    closed: list = []
    if not is_sqlite_url(url) or sqlite_path(url).exists():
        from portplus_tui.store.migrations import current_version

        ctx = _context(settings, require_schema=False)
        try:
            if current_version(ctx.db) >= 1:
                from portplus_tui.services import closed_days

                closed = closed_days.list_days(ctx)
        finally:
            ctx.close()
    return BusinessCalendar(rules, closed)


def cmd_calendar(args, settings) -> int:
    from portplus_tui.core.calendar import billing_period, parse_date, parse_month

    if args.action == "deadline":
        days = [parse_date(text, field="date") for text in args.dates]  # all valid, or nothing printed
        cal = _calendar(settings)
        for day in days:
            _out(cal.deadline(day).isoformat())
    elif args.action == "business-days":
        start = parse_date(args.start, field="from")
        end = parse_date(args.end, field="to")
        if start > end:
            raise CliError("FROM の日付が TO の日付より後になっています。",
                           "FROM must not be after TO")
        if (end - start).days > 366 * 50:
            raise CliError("期間は最大50年までです。", "the range may span at most 50 years")
        for day in _calendar(settings).business_days(start, end):
            _out(day.isoformat())
    elif args.action == "billing-period":
        year, month = parse_month(args.month)
        first, last = billing_period(year, month, settings.closing_day)
        _out(first.isoformat())
        _out(last.isoformat())
    else:
        from portplus_tui.services import closed_days

        if args.closed_action in ("add", "remove"):
            day = parse_date(args.date, field="date")
        ctx = _context(settings)
        try:
            if args.closed_action == "add":
                _out(f"closed day added: {closed_days.add(ctx, day).isoformat()}")
            elif args.closed_action == "remove":
                _out(f"closed day removed: {closed_days.remove(ctx, day).isoformat()}")
            else:
                for day in closed_days.list_days(ctx):
                    _out(day.isoformat())
        finally:
            ctx.close()
    return EXIT_OK


def cmd_applications(args, settings) -> int:
    import csv

    from portplus_tui.core.calendar import parse_date
    from portplus_tui.services import applications, companies

    # An empty --from / --to is a bad date like any other, not "no limit".
    start = None if args.start is None else parse_date(args.start, field="from")
    end = None if args.end is None else parse_date(args.end, field="to")
    if start and end and start > end:
        raise CliError("--from の日付が --to の日付より後になっています。",
                       "--from must not be after --to")
    ctx = _context(settings)
    try:
        session = companies.provider_session(ctx, args.member_no)
        rows = applications.export_rows(ctx, session, start, end)
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(applications.EXPORT_HEADER)
        for row in rows:
            writer.writerow(row)
    finally:
        ctx.close()
    return EXIT_OK


def demo_settings(settings):
    """The demo's settings: its own SQLite file ``<data dir>/demo.db`` unless a database
    URL was given (flag, environment or file), so that its well-known logins never land
    in the real database by accident."""
    if settings.database_url:
        return settings
    return settings.replace(database_url=f"sqlite:///{settings.resolved_data_dir / 'demo.db'}")


def cmd_demo(args, settings) -> int:
    import time

    from portplus_tui.services import demo
    from portplus_tui.store.db import redact_url
    from portplus_tui.store.migrations import migrate

    if args.applications < 0 or args.applications > 20_000_000:
        raise CliError("--applications は 0~20000000 の範囲で指定してください。",
                       "--applications must be between 0 and 20000000")
    if not args.no_launch:
        _require_terminal()  # before seeding: refuse having written nothing
    settings = demo_settings(settings)
    _warn_if_exposed(settings)
    ctx = _context(settings, require_schema=False)
    try:
        demo.check_database(ctx)  # before migrating: a refusal writes nothing at all
        migrate(ctx.db)
        _ensure_secret_key(ctx)
        started = time.perf_counter()
        result = demo.seed(ctx, applications=args.applications)
        took = time.perf_counter() - started
    finally:
        ctx.close()
    _out(f"database: {redact_url(settings.resolved_database_url)}")
    if result.applications:
        _out(f"added {result.applications} applications in {took:.1f} s")
    _out("logins (会員番号 / アカウント / パスワード):")
    for member_no, login_id, password, role, _name in demo.DEMO_LOGINS:
        note = " (二段階認証: code in `portplus outbox`)" if member_no == demo.DEMO_2FA_COMPANY else ""
        _out(f"  {member_no}  {login_id}  {password}  [{role}]{note}")
    if args.no_launch:
        return EXIT_OK
    return launch_tui(settings)


def _read_new_password(args) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CliError("標準入力にパスワードがありません。何も書き込んでいません。",
                           "no password on standard input; nothing was written")
        return line[:-1] if line.endswith("\n") else line
    if not sys.stdin.isatty():
        raise CliError("パスワードを尋ねる端末がありません。--password-stdin を使用してください。",
                       "no terminal to ask for the password: use --password-stdin")
    import getpass

    try:
        first = getpass.getpass("パスワード / password: ")
        second = getpass.getpass("パスワード(確認) / again: ")
    except (KeyboardInterrupt, EOFError) as exc:
        if sys.stderr.isatty():
            sys.stderr.write("\n")  # end the prompt's line: getpass does not on Ctrl-C / Ctrl-D
        if isinstance(exc, KeyboardInterrupt):
            raise _interrupted(nothing_written=True) from None
        raise CliError("パスワードが入力されませんでした。何も書き込んでいません。",
                       "no password given; nothing was written") from None
    if first != second:
        raise CliError("2回入力したパスワードが一致しません。何も書き込んでいません。",
                       "the two passwords differ; nothing was written")
    return first


def _find_account(ctx, member_no: str, email: str):
    from portplus_tui.core.errors import NotFoundError
    from portplus_tui.core.validation import email_key
    from portplus_tui.services import accounts

    key = email_key(email)
    for view in accounts.list_accounts_for(ctx, member_no):
        if email_key(view.login_id) == key:
            return view
    raise NotFoundError("アカウントが見つかりません。", f"No account {email} in {member_no}.",
                        field="email")


def _print_accounts(ctx, views) -> None:
    for view in views:
        state = []
        if view.locked:
            state.append("locked")
        if view.expired:
            state.append("expired")
        if view.deleted:
            state.append("deleted")
        _out("\t".join((view.login_id, view.role, view.name, view.department, view.phone or "-",
                        view.expires.isoformat(), ",".join(state) or "ok")))


def cmd_account(args, settings) -> int:
    from portplus_tui.services import accounts

    ctx = _context(settings)
    try:
        if args.action == "add":
            # Everything but the password first: the prompt comes after the checks.
            accounts.check_new_account(ctx, args.member_no, args.email, name=args.name,
                                       role=args.role, department=args.department,
                                       phone=args.phone, expires=args.expires)
            if not args.password_stdin:
                ctx.db.close()  # hold no connection while a person types (it reopens)
            password = _read_new_password(args)
            view = accounts.add_account(ctx, args.member_no, args.email, name=args.name,
                                        role=args.role, department=args.department,
                                        phone=args.phone, expires=args.expires, password=password)
            _print_accounts(ctx, [view])
        elif args.action == "list":
            _print_accounts(ctx, accounts.list_accounts_for(ctx, args.member_no))
        elif args.action == "unlock":
            # The service writes nothing (no audit entry) when there is nothing to clear.
            result = accounts.unlock_account(ctx, args.member_no, args.email)
            if result.was_locked:
                _out(f"unlocked: {result.login_id}")
            elif result.changed:
                _out(f"not locked: {result.login_id} (failed-login count cleared)")
            else:
                _out(f"not locked: {result.login_id} (nothing changed)")
        else:
            from portplus_tui.services import auth, companies

            view = _find_account(ctx, args.member_no, args.email)
            auth.admin_send_reset(ctx, companies.provider_session(ctx, args.member_no), view.id)
            _out(f"reset mail sent to {view.login_id}")
    finally:
        ctx.close()
    return EXIT_OK


def cmd_outbox(args, settings) -> int:
    from portplus_tui.services.mail import format_decoded, read_outbox

    if not 1 <= args.last <= 1000:
        raise CliError("--last は 1~1000 の範囲で指定してください。",
                       "--last must be between 1 and 1000")
    mails = read_outbox(settings.outbox_dir, last=args.last)
    if not mails:
        empty = CliError(f"送信メールの控え(outbox)は空です ({settings.outbox_dir})",
                         f"the outbox is empty ({settings.outbox_dir})")
        sys.stderr.write(f"portplus: {empty.message(settings.lang)}\n")
    for number, mail in enumerate(mails):
        if number:
            _out("-" * 60)
        _out(format_decoded(mail))
    return EXIT_OK


def cmd_audit(args, settings) -> int:
    import json

    from portplus_tui.core.calendar import to_jst
    from portplus_tui.services import audit, companies

    if not 1 <= args.last <= 1000:
        raise CliError("--last は 1~1000 の範囲で指定してください。",
                       "--last must be between 1 and 1000")
    ctx = _context(settings)
    try:
        session = companies.provider_session(ctx, args.member_no)
        for entry in audit.list_entries(ctx, session, last=args.last):
            when = to_jst(entry.at).strftime("%Y-%m-%d %H:%M:%S JST")
            change = ""
            if entry.before is not None or entry.after is not None:
                change = " " + json.dumps({"before": entry.before, "after": entry.after},
                                          ensure_ascii=False, sort_keys=True)
            _out(f"{when}\t{entry.actor}\t{entry.action}\t{entry.target}{change}")
    finally:
        ctx.close()
    return EXIT_OK


_warned: set = set()


def _warn_if_exposed(settings) -> None:
    """One line on stderr (and in the log file) when others can read the SQLite file,
    with the command that fixes it; then go on. One ``os.stat``, no peewee."""
    from portplus_tui.store.files import fix_command, readable_by_others, sqlite_file

    path = sqlite_file(settings.resolved_database_url)
    if path is None or path in _warned or not readable_by_others(path, settings.shared_group):
        return
    _warned.add(path)
    fix = fix_command(path, settings.shared_group)
    others = "このグループ以外の" if settings.shared_group else "他の"
    warning = CliError(
        f"警告: データベースファイル {path} はこのコンピューターの{others}ユーザーが読み取れます。"
        f"修正するには: {fix} (または portplus init)",
        f"warning: the database file {path} can be read by other users of this computer; "
        f"fix it with: {fix} (or portplus init)")
    sys.stderr.write(f"portplus: {warning.message(settings.lang)}\n")
    from portplus_tui.logs import log_warning

    log_warning(warning.message("en"), settings)


def _require_terminal() -> None:
    """The terminal app needs a terminal on stdin, stdout and stderr. Without one
    (``portplus < /dev/null``, a ForceCommand reached by ``ssh -T``) Textual would spin
    on a core until killed: refuse in one line instead (exit 1)."""
    import os

    if not all(os.isatty(fd) for fd in (0, 1, 2)):
        raise CliError(
            "ポートプラスの画面には端末が必要です(標準入力・標準出力・標準エラー出力)。"
            "コマンドは portplus --help を参照してください。",
            "the terminal app needs a terminal on stdin, stdout and stderr; "
            "see portplus --help for the commands", code=EXIT_ERROR)


def cmd_ssh_session(args, settings) -> int:
    """``ForceCommand`` target (portplus_tui/ssh_session.py): check the session, fill in
    the environment, then become the app (exec), so the session ends with it."""
    import os

    from portplus_tui import ssh_session

    try:
        ssh_session.check_session(os.environ)
    except ssh_session.Refused as exc:
        raise CliError(exc.ja, exc.en, code=EXIT_ERROR) from None
    env = dict(os.environ)
    ssh_session.prepare_environment(env)
    command = ssh_session.app_command(sys.executable, _global_flags(args))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, env)
    return EXIT_ERROR  # not reached: execve returns only by raising


def _global_flags(args) -> list[str]:
    """The global options this command was given, to hand on to the app it starts."""
    options = []
    for flag, value in (("--config", getattr(args, "config", None)),
                        ("--database-url", getattr(args, "database_url", None)),
                        ("--data-dir", getattr(args, "data_dir", None)),
                        ("--lang", getattr(args, "lang", None))):
        if value is not None:
            options += [flag, value]
    return options


def _serve_options(args) -> tuple[str, int, str | None, int]:
    """``portplus serve``'s flags, checked (CliError, exit 2)."""
    from urllib.parse import urlsplit

    host = args.host.strip()
    if not host or any(c.isspace() or c in "/?#@" for c in host):
        raise CliError(f"--host が正しくありません: {args.host!r}", f"--host is not an address: {args.host!r}")
    if not 1 <= args.port <= 65535:
        raise CliError("--port は 1~65535 の範囲で指定してください。", "--port must be between 1 and 65535")
    if args.max_sessions < 1 or args.max_sessions > 10_000:
        raise CliError("--max-sessions は 1~10000 の範囲で指定してください。",
                       "--max-sessions must be between 1 and 10000")
    public = args.public_url
    if public is not None:
        parts = urlsplit(public)
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            parts = None
        if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
                or parts.query or parts.fragment or parts.username or parts.password):
            raise CliError("--public-url は http(s)://ホスト[:ポート][/パス] の形式で指定してください。",
                           "--public-url must be http(s)://host[:port][/path]")
    return host, args.port, public, args.max_sessions


def cmd_serve(args, settings) -> int:
    """The app in a browser: portplus_tui/web/server.py."""
    import shlex

    host, port, public, limit = _serve_options(args)
    try:
        from portplus_tui.web.server import PortPlusServer
    except ImportError:
        raise CliError("portplus serve には追加パッケージが必要です: pip install 'portplus-tui[web]'",
                       "portplus serve needs the web extra: pip install 'portplus-tui[web]'",
                       code=EXIT_ERROR) from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.stderr.write(f"portplus serve: listening on {host}, not only this host: put a TLS "
                         "reverse proxy in front and give --public-url (README, \"Deployment "
                         "in a browser\")\n")
    # textual-serve runs it with a shell: exec, so that the process it ends is the app.
    command = "exec " + " ".join(shlex.quote(part) for part in
                                 [sys.executable, "-m", "portplus_tui", *_global_flags(args),
                                  "web-session"])
    server = PortPlusServer(command, host=host, port=port, public_url=public,
                            max_sessions=limit,
                            idle_seconds=settings.idle_timeout_minutes * 60.0)
    server.serve()
    return EXIT_OK


def cmd_web_session(args, settings) -> int:
    """One browser tab's app (started by ``portplus serve``, which speaks Textual's web
    driver protocol on its stdin and stdout): the app, without a terminal."""
    import os

    if os.environ.get("TEXTUAL_DRIVER") != "textual.drivers.web_driver:WebDriver":
        raise CliError("このコマンドは portplus serve が使います。", "portplus serve runs this command",
                       code=EXIT_ERROR)
    return launch_tui(settings, terminal=False)


def _check_keymap(settings) -> None:
    """A ``[keymap]`` with an unknown id or key: one line, exit 2, before the app."""
    if not settings.keymap:
        return
    from portplus_tui.ui.keymap import KeymapError, check

    try:
        check(dict(settings.keymap))
    except KeymapError as exc:
        raise CliError(exc.ja, exc.en) from None


def cmd_keys(args, settings) -> int:
    """Every remappable key: id, default key(s), where it acts, what it does."""
    from portplus_tui.ui.i18n import set_lang
    from portplus_tui.ui.keymap import catalogue

    set_lang(settings.lang)
    _check_keymap(settings)
    mapped = dict(settings.keymap)
    for entry in catalogue():
        line = f"{entry.id}\t{entry.keys}\t{entry.where}\t{entry.description}"
        if entry.id in mapped:
            line += f"\t(keymap: {mapped[entry.id]})"
        _out(line)
    return EXIT_OK


def launch_tui(settings, terminal: bool = True) -> int:

    _check_keymap(settings)  # a bad config file is exit 2, terminal or not
    if terminal:
        _require_terminal()


    _warn_if_exposed(settings)

    # No garbage collection from here to the login screen's first paint (ui/heap.py,
    # point 1; the login screen turns it back on).
    from portplus_tui.ui.heap import pause_until_first_paint

    end_pause = pause_until_first_paint()
    try:
        try:
            from portplus_tui.ui.app import run_app
        except ImportError:
            sys.stderr.write("The terminal app is not part of this build yet; use the "
                             "sub-commands (portplus --help).\n")
            return EXIT_OK
        return run_app(settings)
    finally:
        end_pause()


COMMANDS: dict[str, Callable[[argparse.Namespace, object], int]] = {
    "init": cmd_init,
    "migrate": cmd_init,
    "company": cmd_company,
    "calendar": cmd_calendar,
    "applications": cmd_applications,
    "account": cmd_account,
    "outbox": cmd_outbox,
    "audit": cmd_audit,
    "demo": cmd_demo,
    "ssh-session": cmd_ssh_session,
    "serve": cmd_serve,
    "keys": cmd_keys,
    "web-session": cmd_web_session,
}


def _bare_launch(argv: Sequence[str]) -> object | None:
    """The parsed arguments of a plain ``portplus`` (no option, no command), without
    argparse: building the parser of every sub-command costs ~10 ms of the start-up."""
    if argv:
        return None
    from types import SimpleNamespace

    return SimpleNamespace(command=None, config=None, database_url=None, data_dir=None,
                           lang=None)


def _install_log_file_handler(settings):
    """Send what the service modules log (a mail that could not be sent, ...) to the log
    file, never to stderr: with no handler anywhere Python prints warnings on stderr
    (``logging.lastResort``), a second unprefixed line under the command's message. The
    file (and its folder) is created at the first record only, so a command that logs
    nothing creates nothing. Returns the handler (to remove), or None when logging is
    already configured (an app, a test suite)."""
    import logging

    if logging.root.handlers or logging.getLogger("portplus_tui").handlers:
        return None

    class LogFileOnFirstRecord(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            import logging.handlers

            from portplus_tui.logs import setup_logging

            services = logging.getLogger("portplus_tui")

            def file_handler():
                return next((h for h in services.handlers
                             if isinstance(h, logging.handlers.RotatingFileHandler)), None)

            ours = record.name == "portplus_tui" or record.name.startswith("portplus_tui.")
            if ours and file_handler() is not None:
                return  # written already, by the file's handler on its way up to here
            try:
                setup_logging(settings)
            except OSError:
                return  # no log file possible: dropped, still not on stderr
            target = file_handler()
            if target is not None:
                target.handle(record)

    handler = LogFileOnFirstRecord(logging.WARNING)
    logging.root.addHandler(handler)
    return handler


def _read_only(args) -> bool:
    """Whether the command never writes (what Ctrl-C may then say)."""
    command, action = getattr(args, "command", None), getattr(args, "action", None)
    if command in ("outbox", "audit", "applications"):
        return True
    if command == "company":
        return action in ("show", "list")
    if command == "account":
        return action == "list"
    if command == "calendar":
        return action != "closed-day" or getattr(args, "closed_action", None) == "list"
    return False


def main(argv: Sequence[str] | None = None) -> int:
    # Private files before anything is opened (the database and its -wal / -shm, logs,
    # the outbox, the key file): umask 077; 007 once the settings ask for a shared group.
    from portplus_tui.store.files import set_process_umask

    set_process_umask(None)
    if argv is None:
        argv = sys.argv[1:]
    state: dict = {"lang": None, "args": None}
    try:
        return _main(argv, state)
    except KeyboardInterrupt:  # Ctrl-C anywhere: one line, no traceback
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        args = state["args"]
        error = _interrupted(nothing_written=args is not None and _read_only(args))
        sys.stderr.write(f"portplus: {error.message(state['lang'] or _early_lang(args))}\n")
        return EXIT_INTERRUPTED


def _shared_mode(settings) -> None:
    """With ``shared_group``: umask 007 (files 0660, folders 2770 of that group), once
    the group is known to exist."""
    if not settings.shared_group:
        return
    from portplus_tui.store.files import PermissionProblem, group_id, set_process_umask

    try:
        group_id(settings.shared_group)
    except PermissionProblem as exc:
        raise CliError(f"設定: shared_group のグループ {settings.shared_group!r} がありません "
                       f"(作成するには: groupadd {settings.shared_group})",
                       f"configuration: {exc}") from None
    set_process_umask(settings.shared_group)


def _main(argv: Sequence[str], state: dict) -> int:
    args = _bare_launch(argv) or build_parser().parse_args(argv)
    state["args"] = args
    lang = _early_lang(args)
    settings = None
    log_handler = None
    try:
        settings = _settings(args)
        lang = state["lang"] = settings.lang
        _shared_mode(settings)
        if args.command is None:
            return launch_tui(settings)
        if args.command == "web-session":  # the app: it sets up its own log
            return cmd_web_session(args, settings)
        log_handler = _install_log_file_handler(settings)
        # init fixes the modes; demo checks its own file; ssh-session: the app it becomes does
        if args.command not in ("init", "migrate", "demo", "ssh-session", "serve"):
            _warn_if_exposed(settings)
        return COMMANDS[args.command](args, settings)
    except CliError as exc:
        sys.stderr.write(f"portplus: {exc.message(exc.lang or lang)}\n")
        return exc.code
    except BrokenPipeError:  # `portplus applications export ... | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the one place that turns errors into exit codes
        from portplus_tui.core.errors import ConflictError, PortPlusError

        if isinstance(exc, PortPlusError):
            sys.stderr.write(f"portplus: {exc.message(lang)}\n")
            # Not the input's fault: someone else was first, or the mail could not be
            # handed over (services.mail.MailError; the reason is in the log file).
            if isinstance(exc, ConflictError) or exc.code == "mail":
                return EXIT_ERROR
            return EXIT_USAGE
        from portplus_tui.logs import log_unexpected

        if type(exc).__module__ == "peewee":
            from portplus_tui.services.context import as_user_error

            typed = as_user_error(exc)
            if typed is not None:
                log_unexpected(exc, settings=settings, where="cli")
                sys.stderr.write(f"portplus: {typed.message(lang)}\n")
                return EXIT_USAGE  # as a DatabaseUnavailable raised by a service

        path = log_unexpected(exc, settings=settings)
        unexpected = CliError(f"予期しないエラーが発生しました ({type(exc).__name__})。詳細: {path}",
                              f"unexpected error ({type(exc).__name__}); details in {path}")
        sys.stderr.write(f"portplus: {unexpected.message(lang)}\n")
        return EXIT_ERROR
    finally:
        if log_handler is not None:
            import logging

            logging.root.removeHandler(log_handler)


if __name__ == "__main__":
    sys.exit(main())
