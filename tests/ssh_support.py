"""A real OpenSSH server on 127.0.0.1 for the SSH tests and bench/ssh_connect.py.

``SshServer`` sets up, for one run, everything an administrator sets up by hand
(README, "Deployment over SSH"), in throwaway places:

- the app installed with Debian's ``/usr/bin/python3 -m venv`` (root's pyenv Python lives
  under /root, where other users cannot run it), from this source tree, with pip;
- the group ``portplus`` (made if missing, removed after if made here) and an operator
  ``pp-op-<hex>`` in it, locked password ``*`` (not ``!``: with ``UsePAM no`` sshd calls
  a ``!`` account invalid), its own ed25519 key;
- demo data in a ``2770`` folder of the group (setting ``shared_group``) and a server key
  ``root:portplus 0640``, given to the app by ``SetEnv`` in the test's sshd_config;
- sshd (``/usr/sbin/sshd -D -e -f cfg``) with host keys of its own on a free port,
  including the SHIPPED drop-in ``deploy/ssh/portplus.conf``, whose ForceCommand path
  alone is rewritten to the test's install.

Everything is removed by ``close()``: sshd, the user and its processes, the group if it
was made here, the folder.
"""

from __future__ import annotations

import grp
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DROP_IN = ROOT / "deploy" / "ssh" / "portplus.conf"
SHIPPED_FORCE_COMMAND = "ForceCommand /usr/local/bin/portplus ssh-session"
SYSTEM_PYTHON = "/usr/bin/python3"
SSHD = "/usr/sbin/sshd"
GROUP = "portplus"


def missing_parts() -> str | None:
    """Why the SSH tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "the SSH tests make an OS user and run sshd: they need root"
    for path in (SSHD, SYSTEM_PYTHON, shutil.which("ssh") or "/usr/bin/ssh"):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (./scripts/test installs it)"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(*args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(args), capture_output=True, text=True,
                          timeout=kwargs.pop("timeout", 300), **kwargs)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc


def wait_until(check, what: str, timeout: float = 30.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)  # noqa: sleep - polling a real server / the process table


class SshServer:
    def __init__(self, plain_user: bool = False) -> None:
        """``plain_user``: also a user outside the group, with a shell, for a baseline
        (``ssh plain@host true``: what any SSH login costs on this server)."""
        tag = uuid.uuid4().hex[:8]
        self.user = f"pp-op-{tag}"
        self.plain_user = f"pp-sh-{tag}" if plain_user else None
        self.base = Path(f"/tmp/portplus-ssh-{tag}")
        self.home = self.base / "home"
        self.venv = self.base / "venv"
        self.data = self.base / "data"
        self.etc = self.base / "etc"
        self.port = free_port()
        self.made_group = False
        self.made_user = False
        self.sshd: subprocess.Popen | None = None
        self.log = self.base / "sshd.log"

    # ------------------------------------------------------------------ set-up
    def start(self) -> "SshServer":
        self.base.mkdir(mode=0o755)
        os.chmod(self.base, 0o755)  # whatever the umask: the operator must traverse it
        self.etc.mkdir(mode=0o700)
        self._install_app()
        self._make_group_and_user()
        self._demo_data()
        self._start_sshd()
        return self

    def _install_app(self) -> None:
        run(SYSTEM_PYTHON, "-m", "venv", str(self.venv))
        # Root's pip cache keeps the second run quick; a fresh machine downloads once.
        run(str(self.venv / "bin" / "pip"), "install", "--disable-pip-version-check", "-q",
            str(ROOT), timeout=600, env={**os.environ, "PIP_NO_INPUT": "1"})
        self.portplus = self.venv / "bin" / "portplus"
        for path in self.base.rglob("*"):  # pip honours root's umask: others may read
            mode = os.lstat(path).st_mode
            if not os.path.islink(path):
                os.chmod(path, (mode & 0o7777) | (0o055 if os.path.isdir(path) else 0o044))

    def _make_group_and_user(self) -> None:
        try:
            grp.getgrnam(GROUP)
        except KeyError:
            run("groupadd", GROUP)
            self.made_group = True
        self.client_key = self.etc / "client_ed25519"
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.client_key))
        self.made_user = True
        self._make_user(self.user, self.home, ["-G", GROUP])
        if self.plain_user:
            self._make_user(self.plain_user, self.base / "plain-home", [])

    def _make_user(self, user: str, home: Path, groups: list[str]) -> None:
        run("useradd", "-M", "-d", str(home), "-s", "/bin/sh", *groups, user)
        run("usermod", "-p", "*", user)
        info = pwd.getpwnam(user)
        ssh_dir = home / ".ssh"
        ssh_dir.mkdir(parents=True, mode=0o700)
        authorized = ssh_dir / "authorized_keys"
        authorized.write_text(Path(f"{self.client_key}.pub").read_text())
        os.chmod(authorized, 0o600)
        os.chmod(home, 0o700)
        for path in (home, ssh_dir, authorized):
            os.chown(path, info.pw_uid, info.pw_gid)

    def _demo_data(self) -> None:
        """The host's settings as README "Deployment over SSH" sets them up: a system
        config file and the secret key in a folder of the group (``0750`` root:portplus,
        files ``0640``), a ``2770`` data folder; sshd gives the operator's session only
        ``PORTPLUS_SYSTEM_CONFIG`` (``SetEnv``), naming that file instead of
        /etc/portplus/config.toml."""
        gid = grp.getgrnam(GROUP).gr_gid
        system = self.base / "system"
        system.mkdir(mode=0o750)
        os.chown(system, 0, gid)
        os.chmod(system, 0o750)
        self.key_file = system / "secret.key"
        self.key_file.write_text(secrets.token_hex(32) + "\n")
        config = system / "config.toml"
        config.write_text(
            f'data_dir = "{self.data}"\n'
            f'database_url = "sqlite:///{self.data / "demo.db"}"\n'
            f'shared_group = "{GROUP}"\n'
            f'secret_key_file = "{self.key_file}"\n'
            'log_dir = "~/.local/state/portplus/log"\n'
            "bcrypt_rounds = 4\n")
        for path in (self.key_file, config):
            os.chown(path, 0, gid)
            os.chmod(path, 0o640)
        self.app_env = {"PORTPLUS_SYSTEM_CONFIG": str(config)}
        run(str(self.portplus), "demo", "--no-launch", env=self.admin_env())
        assert oct(os.stat(self.data).st_mode & 0o7777) == "0o2770", oct(os.stat(self.data).st_mode)

    def admin_env(self) -> dict[str, str]:
        """The environment of the administrator's (root's) commands on the operators'
        data: the system file, and root's log kept out of its home."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTPLUS_")}
        env.update(self.app_env, XDG_CONFIG_HOME=str(self.etc / "config"),
                   PORTPLUS_LOG_DIR=str(self.etc / "logs"))
        return env

    def _start_sshd(self) -> None:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        host_key = self.etc / "host_ed25519"
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key))
        shipped = DROP_IN.read_text()
        assert SHIPPED_FORCE_COMMAND in shipped
        drop_in = self.etc / "portplus.conf"
        drop_in.write_text(shipped.replace(
            SHIPPED_FORCE_COMMAND, f"ForceCommand {self.portplus} ssh-session"))
        set_env = " ".join(f"{k}={v}" for k, v in self.app_env.items())
        config = self.etc / "sshd_config"
        # The drop-in comes first, where Debian's sshd_config includes sshd_config.d/*.conf
        # (a Match block in an included file ends with that file).
        config.write_text(
            f"Include {drop_in}\n"
            f"Port {self.port}\n"
            "ListenAddress 127.0.0.1\n"
            f"HostKey {host_key}\n"
            f"PidFile {self.etc / 'sshd.pid'}\n"
            "UsePAM no\n"
            "PubkeyAuthentication yes\n"
            f"AllowUsers {self.user} {self.plain_user or ''}\n"
            "Subsystem sftp internal-sftp\n"
            "LogLevel VERBOSE\n"
            f"SetEnv {set_env}\n"
        )
        run(SSHD, "-t", "-f", str(config))
        self.sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "wb"))

        def listening() -> bool:
            if self.sshd.poll() is not None:
                raise AssertionError(f"sshd ended: {self.log.read_text()}")
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", self.port)) == 0

        wait_until(listening, "sshd to listen")

    # ------------------------------------------------------------------ use
    def ssh_options(self) -> list[str]:
        return ["-i", str(self.client_key), "-p", str(self.port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes"]

    def ssh(self, *args: str, user: str | None = None) -> list[str]:
        """The ``ssh`` command line (a list) reaching the operator's account (or
        ``user``'s); arguments after the destination go to ``ssh_command``."""
        return ["ssh", *self.ssh_options(), *args, f"{user or self.user}@127.0.0.1"]

    def ssh_command_line(self, *args: str) -> str:
        import shlex

        return " ".join(shlex.quote(part) for part in self.ssh(*args))

    def processes(self) -> list[str]:
        """The operator's processes (sshd's own session process included)."""
        proc = run("pgrep", "-u", self.user, "-a", check=False)
        return [line for line in proc.stdout.splitlines() if line.strip()]

    def wait_no_processes(self, timeout: float = 15.0) -> None:
        wait_until(lambda: not self.processes(), f"no process of {self.user}: {self.processes()}",
                   timeout=timeout)

    # ------------------------------------------------------------------ tear-down
    def close(self) -> None:
        if self.sshd is not None and self.sshd.poll() is None:
            self.sshd.terminate()
            try:
                self.sshd.wait(10)
            except subprocess.TimeoutExpired:
                self.sshd.kill()
                self.sshd.wait(10)
        if self.made_user:
            for user in filter(None, (self.user, self.plain_user)):
                run("pkill", "-KILL", "-u", user, check=False)
                run("userdel", user, check=False)
        if self.made_group:
            run("groupdel", GROUP, check=False)
        shutil.rmtree(self.base, ignore_errors=True)


if __name__ == "__main__":  # a manual check: python tests/ssh_support.py
    server = SshServer().start()
    try:
        print(server.ssh_command_line("-t"))
        input("Enter to stop ")
    finally:
        server.close()
    sys.exit(0)
