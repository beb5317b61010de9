"""Accounts and what they leave behind: ``account``, ``outbox``, ``audit``."""

from __future__ import annotations

import sys

from portplus_tui.cli.base import (
    EXIT_OK,
    CliError,
    _context,
    _interrupted,
    _out,
)
from portplus_tui.core.messages import texts


def _read_new_password(args) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CliError(*texts('cli.accounts.read_new_password.3'))
        return line[:-1] if line.endswith("\n") else line
    if not sys.stdin.isatty():
        raise CliError(*texts('cli.accounts.read_new_password'))
    import getpass

    try:
        first = getpass.getpass("パスワード / password: ")
        second = getpass.getpass("パスワード(確認) / again: ")
    except (KeyboardInterrupt, EOFError) as exc:
        if sys.stderr.isatty():
            sys.stderr.write("\n")  # end the prompt's line: getpass does not on Ctrl-C / Ctrl-D
        if isinstance(exc, KeyboardInterrupt):
            raise _interrupted(nothing_written=True) from None
        raise CliError(*texts('cli.accounts.read_new_password.4')) from None
    if first != second:
        raise CliError(*texts('cli.accounts.read_new_password.2'))
    return first


def _find_account(ctx, member_no: str, email: str):
    from portplus_tui.core.errors import NotFoundError
    from portplus_tui.core.validation import email_key
    from portplus_tui.services import accounts

    key = email_key(email)
    for view in accounts.list_accounts_for(ctx, member_no):
        if email_key(view.login_id) == key:
            return view
    raise NotFoundError(*texts('cli.accounts.find_account', email=email, member_no=member_no),
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
        raise CliError(*texts('cli.accounts.cmd_outbox'))
    mails = read_outbox(settings.outbox_dir, last=args.last)
    if not mails:
        empty = CliError(*texts('cli.accounts.cmd_outbox.2', outbox_dir=settings.outbox_dir))
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
        raise CliError(*texts('cli.accounts.cmd_audit'))
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
