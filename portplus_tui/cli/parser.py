"""The argument parser of ``portplus`` and its sub-commands (built only when a command
is given: the bare launch never imports argparse)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from portplus_tui.cli.base import (
    EXIT_OK,
    EXIT_USAGE,
)

if TYPE_CHECKING:
    import argparse


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

        def error(self, message: str):
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
