"""`portplus`: the TUI (no sub-command) and the provider's command line.

Validation errors print a message on stderr and exit with code 2, writing nothing.
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


class CliError(Exception):
    """A usage or validation problem: message on stderr, exit 2."""


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    import argparse

    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("global options")
    group.add_argument("--config", metavar="FILE", default=default,
                       help="TOML settings file (default: the user config dir's config.toml)")
    group.add_argument("--database-url", metavar="URL", default=default,
                       help="sqlite:///path.db or postgresql://user@host/db (env PORTPLUS_DATABASE_URL)")
    group.add_argument("--data-dir", metavar="DIR", default=default,
                       help="folder of the default SQLite file, the outbox and logs (env PORTPLUS_DATA_DIR)")
    group.add_argument("--lang", choices=("ja", "en"), default=default,
                       help="language of messages and screens (env PORTPLUS_LANG)")


def build_parser() -> argparse.ArgumentParser:
    import argparse

    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)

    parser = argparse.ArgumentParser(
        prog="portplus",
        description="ポートプラス (Port Plus). Without a command: the terminal app.",
    )
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str, parent=sub) -> argparse.ArgumentParser:
        return parent.add_parser(name, help=help_text, description=help_text, parents=[common])

    add("init", "create or upgrade the database (idempotent)")
    add("migrate", "apply pending database migrations")

    company = add("company", "companies (会員)")
    csub = company.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = add("add", "add a company", csub)
    p.add_argument("member_no", metavar="MEMBER_NO")
    p.add_argument("--name", required=True)
    p.add_argument("--address", required=True)
    p.add_argument("--ports", required=True, metavar="N")
    p.add_argument("--two-factor", action="store_true", help="the two-step login option")
    p = add("set", "change a company", csub)
    p.add_argument("member_no", metavar="MEMBER_NO")
    p.add_argument("--name")
    p.add_argument("--address")
    p.add_argument("--ports", metavar="N")
    p.add_argument("--two-factor", metavar="on|off")
    p.add_argument("--note", metavar="TEXT")
    p = add("show", "show a company", csub)
    p.add_argument("member_no", metavar="MEMBER_NO")
    add("list", "list the companies", csub)

    cal = add("calendar", "business days and deadlines")
    calsub = cal.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = add("deadline", "print the deadline (申込期限) of each date", calsub)
    p.add_argument("dates", nargs="+", metavar="DATE")
    p = add("business-days", "list the business days from FROM to TO", calsub)
    p.add_argument("start", metavar="FROM")
    p.add_argument("end", metavar="TO")
    p = add("billing-period", "print the first and last day of a billing month", calsub)
    p.add_argument("month", metavar="YYYY-MM")
    closed = add("closed-day", "provider-defined closed days", calsub)
    closedsub = closed.add_subparsers(dest="closed_action", metavar="ACTION", required=True)
    p = add("add", "add a closed day", closedsub)
    p.add_argument("date", metavar="DATE")
    p = add("remove", "remove a closed day", closedsub)
    p.add_argument("date", metavar="DATE")
    add("list", "list the closed days", closedsub)

    apps = add("applications", "Port Plus applications")
    appsub = apps.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = add("export", "CSV (UTF-8, header row) of a company's applications on stdout", appsub)
    p.add_argument("member_no", metavar="MEMBER_NO")
    p.add_argument("--from", dest="start", metavar="DATE")
    p.add_argument("--to", dest="end", metavar="DATE")

    account = add("account", "accounts of a company")
    asub = account.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = add("add", "add an account (asks for the password twice unless --password-stdin)", asub)
    p.add_argument("member_no", metavar="MEMBER_NO")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--name", required=True, help="担当者名")
    p.add_argument("--role", required=True, choices=("admin", "user"), help="権限")
    p.add_argument("--department", required=True, help="部署")
    p.add_argument("--phone", default="", help="電話番号")
    p.add_argument("--expires", required=True, metavar="YYYY-MM-DD", help="有効期限")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input")
    p = add("list", "list the accounts of a company", asub)
    p.add_argument("member_no", metavar="MEMBER_NO")
    p = add("unlock", "clear a lock after failed logins", asub)
    p.add_argument("member_no", metavar="MEMBER_NO")
    p.add_argument("email", metavar="EMAIL")
    p = add("reset-password", "send the password-reset mail to an account", asub)
    p.add_argument("member_no", metavar="MEMBER_NO")
    p.add_argument("email", metavar="EMAIL")

    p = add("outbox", "print the newest mails of the file outbox, decoded")
    p.add_argument("--last", type=int, default=5, metavar="N", help="how many (default 5)")

    p = add("audit", "print a company's audit log, newest first")
    p.add_argument("member_no", metavar="MEMBER_NO")
    p.add_argument("--last", type=int, default=50, metavar="N", help="how many (default 50)")

    p = add("demo", "fill the database with demo data and launch the app")
    p.add_argument("--applications", type=int, default=0, metavar="N",
                   help="add N applications to M97-00339 over the two years around today")
    p.add_argument("--no-launch", action="store_true", help="only seed, do not start the app")
    return parser


# ---------------------------------------------------------------- plumbing
def _settings(args: argparse.Namespace):
    from portplus_tui.config import ConfigError, load_settings

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
        raise CliError(f"configuration: {exc}") from None


def _context(settings, *, migrate: bool = False, require_schema: bool = True):
    from portplus_tui.services.context import AppContext

    ctx = AppContext.open(settings, migrate=migrate)
    if require_schema and not migrate:
        from portplus_tui.store.migrations import LATEST, current_version

        version = current_version(ctx.db)
        if version < LATEST:
            ctx.close()
            raise CliError(
                "データベースが初期化されていません。先に `portplus init` を実行してください。"
                if settings.lang == "ja" else
                "The database is not initialised or is out of date: run `portplus init` first."
            )
    return ctx


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def _yes_no(flag: bool) -> str:
    return "on" if flag else "off"


# ---------------------------------------------------------------- commands
def cmd_init(args, settings) -> int:
    from portplus_tui.store.db import redact_url
    from portplus_tui.store.migrations import LATEST

    ctx = _context(settings, migrate=False, require_schema=False)
    try:
        from portplus_tui.store.migrations import migrate

        applied = migrate(ctx.db)
    finally:
        ctx.close()
    where = redact_url(settings.resolved_database_url)
    if applied:
        _out(f"{where}: applied migrations {', '.join(map(str, applied))} (schema version {LATEST})")
    else:
        _out(f"{where}: up to date (schema version {LATEST})")
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
                raise CliError("nothing to change: give at least one of --name, --address, --ports, "
                               "--two-factor, --note")
            info = companies.set_company(ctx, args.member_no, name=args.name, address=args.address,
                                         ports=args.ports, two_factor=two_factor, note=args.note)
            _print_company(companies.find_company(ctx, info.member_no))
        elif args.action == "show":
            _print_company(companies.find_company(ctx, args.member_no))
        else:
            for info in companies.list_companies(ctx):
                _out("\t".join((info.member_no, info.name, str(info.ports),
                                f"two_factor={_yes_no(info.two_factor)}",
                                f"accounts={info.account_count}")))
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
            raise CliError("FROM must not be after TO")
        if (end - start).days > 366 * 50:
            raise CliError("the range may span at most 50 years")
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

    start = parse_date(args.start, field="from") if args.start else None
    end = parse_date(args.end, field="to") if args.end else None
    if start and end and start > end:
        raise CliError("--from must not be after --to")
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


def cmd_demo(args, settings) -> int:
    import time

    from portplus_tui.services import demo
    from portplus_tui.store.db import redact_url

    if args.applications < 0 or args.applications > 20_000_000:
        raise CliError("--applications must be between 0 and 20000000")
    ctx = _context(settings, migrate=True)
    try:
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
            raise CliError("no password on standard input")
        return line[:-1] if line.endswith("\n") else line
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for the password: use --password-stdin")
    import getpass

    first = getpass.getpass("パスワード / password: ")
    second = getpass.getpass("パスワード(確認) / again: ")
    if first != second:
        raise CliError("the two passwords differ; nothing was written")
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


def _print_accounts(views) -> None:
    for view in views:
        state = []
        if view.locked_until is not None:
            state.append("locked")
        _out("\t".join((view.login_id, view.role, view.name, view.department, view.phone or "-",
                        view.expires.isoformat(), ",".join(state) or "ok")))


def cmd_account(args, settings) -> int:
    from portplus_tui.services import accounts

    if args.action == "add":
        # Validate everything that needs no database before asking for the password.
        from portplus_tui.core.calendar import parse_date
        from portplus_tui.core.validation import normalize_email

        normalize_email(args.email)
        parse_date(args.expires, field="expires")
        password = _read_new_password(args)
        ctx = _context(settings)
        try:
            view = accounts.add_account(ctx, args.member_no, args.email, name=args.name,
                                        role=args.role, department=args.department,
                                        phone=args.phone, expires=args.expires, password=password)
            _print_accounts([view])
        finally:
            ctx.close()
        return EXIT_OK
    ctx = _context(settings)
    try:
        if args.action == "list":
            _print_accounts(accounts.list_accounts_for(ctx, args.member_no))
        elif args.action == "unlock":
            view = accounts.unlock_account(ctx, args.member_no, args.email)
            _out(f"unlocked: {view.login_id}")
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
        raise CliError("--last must be between 1 and 1000")
    mails = read_outbox(settings.outbox_dir, last=args.last)
    if not mails:
        sys.stderr.write(f"portplus: the outbox is empty ({settings.outbox_dir})\n")
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
        raise CliError("--last must be between 1 and 1000")
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


def launch_tui(settings) -> int:
    import gc

    import threading

    # No garbage collection from here to the login screen's first paint: importing
    # Textual and building the first screen allocate ~100k objects that all stay alive,
    # and the collector walked them ~110 times (~30 ms of the start-up, bench/startup.py)
    # to find nothing. LoginScreen turns it back on once it has been drawn (and the app
    # then freezes what was built, as before); so does the end of the app, and, should
    # no login screen ever be drawn, a timer.
    gc.disable()
    fallback = threading.Timer(10.0, gc.enable)
    fallback.daemon = True
    fallback.start()
    try:
        try:
            from portplus_tui.ui.app import run_app
        except ImportError:
            sys.stderr.write("The terminal app is not part of this build yet; use the "
                             "sub-commands (portplus --help).\n")
            return EXIT_OK
        return run_app(settings)
    finally:
        fallback.cancel()
        gc.enable()


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
}


def _bare_launch(argv: Sequence[str]) -> object | None:
    """The parsed arguments of a plain ``portplus`` (no option, no command), without
    argparse: building the parser of every sub-command costs ~10 ms of the start-up."""
    if argv:
        return None
    from types import SimpleNamespace

    return SimpleNamespace(command=None, config=None, database_url=None, data_dir=None,
                           lang=None)


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    args = _bare_launch(argv) or build_parser().parse_args(argv)
    lang = "ja"
    try:
        settings = _settings(args)
        lang = settings.lang
        if args.command is None:
            return launch_tui(settings)
        return COMMANDS[args.command](args, settings)
    except CliError as exc:
        sys.stderr.write(f"portplus: {exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:  # `portplus applications export ... | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the one place that turns errors into exit codes
        from portplus_tui.core.errors import ConflictError, PortPlusError

        if isinstance(exc, PortPlusError):
            sys.stderr.write(f"portplus: {exc.message(lang)}\n")
            return EXIT_ERROR if isinstance(exc, ConflictError) else EXIT_USAGE
        from portplus_tui.logs import log_unexpected

        if type(exc).__module__ == "peewee":
            from portplus_tui.services.context import as_user_error

            typed = as_user_error(exc)
            if typed is not None:
                log_unexpected(exc, settings=locals().get("settings"), where="cli")
                sys.stderr.write(f"portplus: {typed.message(lang)}\n")
                return EXIT_USAGE  # as a DatabaseUnavailable raised by a service

        path = log_unexpected(exc, settings=locals().get("settings"))
        sys.stderr.write(f"portplus: unexpected error ({type(exc).__name__}); details in {path}\n")
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
