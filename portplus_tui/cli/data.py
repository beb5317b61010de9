"""The provider's data commands: ``init`` / ``migrate``, ``company``, ``calendar``,
``applications`` and ``demo``."""

from __future__ import annotations

import sys

from portplus_tui.cli import launch
from portplus_tui.cli.base import (
    EXIT_OK,
    CliError,
    _context,
    _ensure_secret_key,
    _out,
    _secure_files,
    _yes_no,
)
from portplus_tui.cli.launch import _warn_if_exposed
from portplus_tui.core.messages import texts


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
                raise CliError(*texts('cli.data.cmd_company'))
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
            raise CliError(*texts('cli.data.cmd_calendar'))
        if (end - start).days > 366 * 50:
            raise CliError(*texts('cli.data.cmd_calendar.2'))
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
        raise CliError(*texts('cli.data.cmd_applications'))
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
        raise CliError(*texts('cli.data.cmd_demo'))
    if not args.no_launch:
        launch._require_terminal()  # before seeding: refuse having written nothing
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
    return launch.launch_tui(settings)
