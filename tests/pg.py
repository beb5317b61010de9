"""A throwaway PostgreSQL server for the test suite (the machinery behind conftest's fixtures).

``running_server()`` runs ``initdb`` into a private temporary directory, starts the
server on 127.0.0.1 on a free port with ``pg_ctl -w`` (fsync off, trust auth), and stops
it and removes the directory when the ``with`` block ends. When the tests run as root
the directory belongs to, and the commands run as, the ``postgres`` system user (the
server refuses to run as root).

Environment:
  PORTPLUS_PG_BIN_GLOB       where to look for initdb/pg_ctl when they are not on PATH
                             (default /usr/lib/postgresql/*/bin, newest version first;
                             scripts/_setup.sh reads the same variable)
  PORTPLUS_REQUIRE_POSTGRES  "1": missing binaries fail the PostgreSQL tests (CI=true too)
  PORTPLUS_SKIP_POSTGRES     "1": missing binaries skip the PostgreSQL tests
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import socket
import stat
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path
from typing import Any, Iterator

BIN_GLOB_ENV = "PORTPLUS_PG_BIN_GLOB"
DEFAULT_BIN_GLOB = "/usr/lib/postgresql/*/bin"
SUPERUSER = "postgres"
HOST = "127.0.0.1"
DIR_PREFIX = "portplus-pg-"
TEST_COMMAND = "./scripts/test"


class PgError(RuntimeError):
    """The throwaway server could not be set up."""


# --- finding the binaries and deciding what a missing server means -------------------


@dataclass(frozen=True)
class PgBinaries:
    initdb: str
    pg_ctl: str


def _version_key(bindir: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,); 9.6 -> (9, 6); so 15 sorts above 9.6.
    name = Path(bindir).parent.name
    return tuple(int(p) for p in re.findall(r"\d+", name)) or (-1,)


def find_binaries() -> PgBinaries | None:
    """initdb and pg_ctl from PATH, else from the newest PORTPLUS_PG_BIN_GLOB directory."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return PgBinaries(initdb, pg_ctl)
    pattern = os.environ.get(BIN_GLOB_ENV) or DEFAULT_BIN_GLOB
    for bindir in sorted(glob(pattern), key=_version_key, reverse=True):
        initdb, pg_ctl = os.path.join(bindir, "initdb"), os.path.join(bindir, "pg_ctl")
        if os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return PgBinaries(initdb, pg_ctl)
    return None


def postgres_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get(
        "PORTPLUS_REQUIRE_POSTGRES"
    ) == "1"


def skip_reason() -> str | None:
    """Why PostgreSQL tests should be skipped, or None: they run (or fail loudly)."""
    if postgres_required() or os.environ.get("PORTPLUS_SKIP_POSTGRES") != "1":
        return None
    if find_binaries() is not None:
        return None
    return "PostgreSQL binaries (initdb, pg_ctl) not found and PORTPLUS_SKIP_POSTGRES=1"


def missing_message() -> str:
    where = os.environ.get(BIN_GLOB_ENV) or DEFAULT_BIN_GLOB
    head = f"PostgreSQL binaries (initdb, pg_ctl) not found on PATH or in {where}."
    if postgres_required():
        return (
            f"{head} PostgreSQL is required here (CI=true or PORTPLUS_REQUIRE_POSTGRES=1); "
            f"run the tests with {TEST_COMMAND}, which installs it."
        )
    return (
        f"{head} Run the tests with {TEST_COMMAND} (it installs PostgreSQL), "
        "or set PORTPLUS_SKIP_POSTGRES=1 to skip the PostgreSQL tests."
    )


# --- the server -----------------------------------------------------------------------


@dataclass
class PgServer:
    host: str
    port: int
    user: str
    major_version: int
    data_dir: Path = field(repr=False)
    _admin_conn: Any = field(default=None, init=False, repr=False, compare=False)
    # how to run pg_ctl again (set by running_server): for stop() and start()
    _control: Any = field(default=None, init=False, repr=False, compare=False)

    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", **kwargs):
        """A psycopg 3 connection to ``dbname`` (autocommit unless told otherwise)."""
        import psycopg

        kwargs.setdefault("autocommit", True)
        return psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname=dbname, **kwargs
        )

    def _admin(self, query, params=None) -> None:
        """Run one statement on a kept-open connection to the ``postgres`` database."""
        import psycopg

        for attempt in (1, 2):
            if self._admin_conn is None or self._admin_conn.closed:
                self._admin_conn = self.connect()
            try:
                self._admin_conn.execute(query, params)
                return
            except psycopg.OperationalError:  # e.g. a test terminated every backend
                self._admin_conn.close()
                if attempt == 2:
                    raise

    def create_database(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE ``name`` (optionally copying ``template``); returns its URL."""
        from psycopg import sql

        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self._admin(query)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE ``name`` if it exists, ending any connections still open to it."""
        from psycopg import sql

        query = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
        if self.major_version >= 13:
            query += sql.SQL(" WITH (FORCE)")  # terminates the sessions itself
        else:
            self._admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
        self._admin(query)

    def close(self) -> None:
        if self._admin_conn is not None:
            self._admin_conn.close()

    # --- stopping and starting the same server (fault tests) --------------------------

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m MODE -w``: the server goes away (clients see the connection
        drop); the data directory and the port are kept for ``start()``."""
        if self._control is None:
            raise PgError("this server was not made by running_server(): cannot stop it")
        if self._admin_conn is not None:
            self._admin_conn.close()
        self._control.stop(mode)

    def start(self) -> None:
        """``pg_ctl start -w`` on the same data directory and port as before."""
        if self._control is None:
            raise PgError("this server was not made by running_server(): cannot start it")
        self._control.start(self.port)

    def is_running(self) -> bool:
        return self._control is not None and self._control.is_running()

    @contextmanager
    def fresh_database(self, hint: str = "test") -> Iterator[str]:
        """A new empty database with a unique name; yields its URL, drops it afterwards."""
        name = unique_database_name(hint)
        url = self.create_database(name)
        try:
            yield url
        finally:
            self.drop_database(name)


def unique_database_name(hint: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "_", hint.lower()).strip("_")[:40]
    return f"t_{stem}_{uuid.uuid4().hex[:10]}"  # at most 54 chars (limit: 63)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _server_owner() -> pwd.struct_passwd | None:
    """The account the server runs as: ``postgres`` under root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PgError(
            f"running as root but there is no {SUPERUSER!r} system user to run the "
            "server as (the postgresql package creates it)"
        ) from None


def _traversable_by_all(path: Path) -> bool:
    return all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents))


def _parent_dir(owner: pwd.struct_passwd | None) -> Path:
    """Where to make the temporary directory: somewhere the server's user can reach."""
    candidates = [tempfile.gettempdir(), "/tmp", "/var/tmp"]
    for cand in candidates:
        path = Path(cand).resolve()
        if path.is_dir() and (owner is None or _traversable_by_all(path)):
            return path
    raise PgError(f"none of {candidates} can be reached by the {SUPERUSER!r} user")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Runner:
    def __init__(self, owner: pwd.struct_passwd | None, cwd: Path):
        self.owner, self.cwd = owner, cwd
        self.env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        for key in ("PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGDATABASE"):
            self.env.pop(key, None)

    def __call__(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        as_user = {}
        if self.owner is not None:  # the Python equivalent of `runuser -u postgres --`
            as_user = {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []}
        proc = subprocess.run(
            cmd,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            **as_user,
        )
        if check and proc.returncode != 0:
            raise PgError(
                f"{shlex.join(cmd)} exited with {proc.returncode}:\n{proc.stdout}{proc.stderr}"
            )
        return proc


def _remove_stale(parent: Path, binaries: PgBinaries, owner: pwd.struct_passwd | None) -> None:
    """Stop servers and remove directories left by test runs that were killed."""
    for base in parent.glob(DIR_PREFIX + "*"):
        try:
            pid = int((base / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if _pid_alive(pid):
            continue
        if (base / "data" / "postmaster.pid").exists():
            _Runner(owner, parent)(
                binaries.pg_ctl, "stop", "-D", str(base / "data"), "-m", "immediate", check=False
            )
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class _Control:
    """pg_ctl for one server, as running_server() started it."""

    pg_ctl: str
    run: _Runner
    data: Path
    sockets: Path
    log: Path

    def options(self, port: int) -> str:
        return (
            f"-h {HOST} -p {port} -k {shlex.quote(str(self.sockets))} -F"
            " -c full_page_writes=off -c synchronous_commit=off"
        )

    def start(self, port: int) -> None:
        proc = self.run(
            self.pg_ctl, "start", "-w", "-t", "120", "-D", str(self.data),
            "-l", str(self.log), "-o", self.options(port), check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            log_text = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise PgError(
                f"pg_ctl start failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
                f"\n--- {self.log} ---\n{log_text[-4000:]}"
            )

    def stop(self, mode: str) -> None:
        self.run(self.pg_ctl, "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "120")

    def is_running(self) -> bool:
        return self.run(self.pg_ctl, "status", "-D", str(self.data), check=False).returncode == 0


def _major_version(version_line: str) -> int:
    # "pg_ctl (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)" -> 15
    match = re.search(r"\(PostgreSQL\) (\d+)", version_line)
    if not match:
        raise PgError(f"cannot read the version from pg_ctl --version: {version_line!r}")
    return int(match.group(1))


@contextmanager
def running_server(binaries: PgBinaries | None = None) -> Iterator[PgServer]:
    """Start a throwaway server; stop it and delete its files when the block ends."""
    binaries = binaries or find_binaries()
    if binaries is None:
        raise PgError(missing_message())
    owner = _server_owner()
    parent = _parent_dir(owner)
    _remove_stale(parent, binaries, owner)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base = Path(tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{worker}-", dir=parent))
    data, sockets, log = base / "data", base / "sock", base / "server.log"
    run = _Runner(owner, base)
    try:
        (base / "owner.pid").write_text(str(os.getpid()))
        sockets.mkdir()
        if owner is not None:
            for path in (base, sockets):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        run(
            binaries.initdb, "-D", str(data), "-A", "trust", "-U", SUPERUSER,
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        for _attempt in range(5):
            port = _free_port()
            options = (
                f"-h {HOST} -p {port} -k {shlex.quote(str(sockets))} -F"
                " -c full_page_writes=off -c synchronous_commit=off"
            )
            log_offset = log.stat().st_size if log.exists() else 0
            proc = run(
                binaries.pg_ctl, "start", "-w", "-t", "120", "-D", str(data),
                "-l", str(log), "-o", options, check=False,
            )  # fmt: skip
            if proc.returncode == 0:
                break
            log_text = log.read_text(errors="replace")[log_offset:] if log.exists() else ""
            if "Address already in use" not in log_text:  # another process took the port
                raise PgError(
                    f"pg_ctl start failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
                    f"\n--- {log} ---\n{log_text[-4000:]}"
                )
        else:
            raise PgError("pg_ctl start failed 5 times: every free port was taken at once")
        server = PgServer(
            host=HOST,
            port=port,
            user=SUPERUSER,
            major_version=_major_version(run(binaries.pg_ctl, "--version").stdout),
            data_dir=data,
        )
        server._control = _Control(binaries.pg_ctl, run, data, sockets, log)
        try:
            yield server
        finally:
            server.close()
    finally:
        if (data / "postmaster.pid").exists():  # also after a start that timed out
            run(binaries.pg_ctl, "stop", "-D", str(data), "-m", "immediate", "-w", check=False)
        shutil.rmtree(base, ignore_errors=True)
