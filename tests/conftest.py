"""Shared pytest fixtures."""

from __future__ import annotations

from typing import Iterator

import pytest

from . import pg

# === Databases: SQLite files and a throwaway PostgreSQL server (machinery in tests/pg.py) ===
#
#   pg_server     session: a running server; .url(name), .create_database(), .drop_database()
#   pg_url        a fresh empty PostgreSQL database for one test (URL; dropped afterwards)
#   database_url  parametrized [sqlite] / [postgres]: a fresh empty database for one test
#
# Tests that use pg_server (directly or through pg_url) get the `postgres` marker, so
# `-m "not postgres"` leaves them out. Missing PostgreSQL binaries fail those tests unless
# PORTPLUS_SKIP_POSTGRES=1 (and neither CI=true nor PORTPLUS_REQUIRE_POSTGRES=1) is set.


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pg.skip_reason()
    for item in items:
        if "pg_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
        if skip and item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.skip(reason=skip))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pg.PgServer]:
    problem = None
    try:
        with pg.running_server() as server:
            yield server
    except pg.PgError as exc:  # raised only while setting up; teardown never raises it
        problem = str(exc)
    if problem:
        pytest.fail(f"throwaway PostgreSQL server: {problem}", pytrace=False)


@pytest.fixture
def pg_url(pg_server: pg.PgServer, request: pytest.FixtureRequest) -> Iterator[str]:
    with pg_server.fresh_database(request.node.name) as url:
        yield url


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"  # absolute path: sqlite:////tmp/...
    return request.getfixturevalue("pg_url")



@pytest.fixture
def stoppable_pg_server() -> Iterator[pg.PgServer]:
    """A PostgreSQL server of this test's own, which it may stop() and start() (the
    session server is shared and must keep running). Mark such tests ``postgres``."""
    problem = None
    try:
        with pg.running_server() as server:
            yield server
    except pg.PgError as exc:  # set-up only
        problem = str(exc)
    if problem:
        pytest.fail(f"throwaway PostgreSQL server: {problem}", pytrace=False)


# === end of databases ===


# === the user config folder ===
#
# The secret key file defaults to <user config dir>/secret.key, and the app makes it when
# missing: every test (and every process a test starts) gets a config folder of the
# session's instead of the real ~/.config, and no system config file. Tests that want their own set XDG_CONFIG_HOME.

@pytest.fixture(scope="session", autouse=True)
def _no_real_config_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    import os

    before = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("xdg-config"))
    # Nor the host's /etc/portplus/config.toml (tests that want one name their own).
    system_before = os.environ.get("PORTPLUS_SYSTEM_CONFIG")
    os.environ["PORTPLUS_SYSTEM_CONFIG"] = os.devnull
    # and no remembered theme (ui/themes.py keeps it in the user state folder)
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("xdg-state"))
    try:
        yield
    finally:
        if system_before is None:
            os.environ.pop("PORTPLUS_SYSTEM_CONFIG", None)
        else:
            os.environ["PORTPLUS_SYSTEM_CONFIG"] = system_before
        if before is None:
            os.environ.pop("XDG_CONFIG_HOME", None)
        else:
            os.environ["XDG_CONFIG_HOME"] = before


@pytest.fixture(autouse=True)
def _restore_umask() -> Iterator[None]:
    """`portplus` sets the process umask (077, or 007 in the shared mode) for good, as
    a process should; a test that runs it in-process gets the suite's umask back."""
    import os

    before = os.umask(0o022)
    os.umask(before)
    try:
        yield
    finally:
        os.umask(before)


# === secrets in the log files (tests/secrets_scan.py, tests/secrets_registry.py) ===
#
# After the last test of the session (of each xdist worker): no password, one-time code,
# reset code or bcrypt hash in any log file the product wrote during the suite. A find
# fails the session (an error at the teardown of the last test; exit status 1) and names
# file, line and kind, never the secret. The summary line says how much was scanned.
# Every code the product mails in this process is registered (whatever the backend), and
# the product's log goes to <basetemp>/suite-logs until a test sends it elsewhere.

_SCAN_RESULT = pytest.StashKey[object]()


@pytest.fixture(scope="session", autouse=True)
def _no_secrets_in_logs(request: pytest.FixtureRequest,
                        tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from . import secrets_registry, secrets_scan

    before = secrets_scan.sizes(path for folder in secrets_scan.user_log_dirs()
                                for path in secrets_scan.log_files(folder))
    undo = secrets_registry.capture_mailed_codes()
    undo_keys = secrets_registry.capture_secret_keys()
    # Until a test points the product's log elsewhere (an app opening its database, an
    # unexpected error), what it logs goes to a file of the suite's: scanned as well.
    from portplus_tui.config import Settings
    from portplus_tui.logs import setup_logging

    setup_logging(Settings(log_dir=tmp_path_factory.getbasetemp() / "suite-logs"))
    try:
        yield
    finally:
        undo()
        undo_keys()
    modules = {item.module for item in request.session.items
               if getattr(item, "module", None) is not None}
    secrets_registry.collect_from_modules(modules)
    result = secrets_scan.scan_suite(
        tmp_path_factory.getbasetemp(),
        passwords=secrets_registry.known_secrets(),
        extra_codes=secrets_registry.known_codes(),
        user_offsets=before,
    )
    request.config.stash[_SCAN_RESULT] = result
    if result.findings:
        shown = "\n".join(f"  {finding}" for finding in result.findings[:50])
        more = len(result.findings) - 50
        pytest.fail(
            f"secrets found in the log files ({len(result.findings)}):\n{shown}"
            + (f"\n  ... and {more} more" if more > 0 else ""),
            pytrace=False,
        )


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    result = config.stash.get(_SCAN_RESULT, None)
    if result is None:
        return
    verdict = f"{len(result.findings)} found" if result.findings else "none found"
    terminalreporter.write_line(
        f"secrets in logs: {result.files} log files, {result.lines} lines scanned for "
        f"{result.passwords} passwords, {result.codes} codes and bcrypt hashes: {verdict}"
    )
