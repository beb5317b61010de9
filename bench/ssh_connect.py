"""SSH connect: from `ssh -tt` to the painted login screen, against `ssh host true`.

A real sshd on 127.0.0.1 with the shipped drop-in and a throwaway operator, as the
SSH tests set it up (tests/ssh_support.py: needs root, sshd, /usr/bin/python3; the app
is pip-installed for the operator with Debian's Python). Each run is a new SSH connection
in a 120x36 pseudo-terminal:

- ours: `ssh -tt operator@host` (ForceCommand `portplus ssh-session`) until the login
  screen's 「CompanyID」 is in the terminal output;
- base: `ssh plain@host true` to a user outside the group (a plain shell login that runs
  `true`), until the connection ends: what any SSH login costs on this server.

Runs alternate (base, ours, base, ours, ...); the figure is the median of the ratios of
each run over the base run before it.

    .venv/bin/python bench/ssh_connect.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import machine_info  # noqa: E402
from bench.startup import time_to_text  # noqa: E402
from tests import ssh_support  # noqa: E402


def time_true(server: ssh_support.SshServer) -> float:
    started = time.perf_counter()
    proc = subprocess.run(server.ssh(user=server.plain_user) + ["true"],
                          capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"ssh plain@host true failed: {proc.stderr!r}")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each (default 15)")
    args = parser.parse_args()
    missing = ssh_support.missing_parts()
    if missing:
        print(f"cannot run: {missing}", file=sys.stderr)
        return 2
    print(machine_info())
    server = ssh_support.SshServer(plain_user=True).start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTPLUS_")}
        env.update(TERM="xterm-256color", LANG="C.UTF-8")
        ours_argv = server.ssh("-tt")
        # Warm-up (not counted): caches, the operator's first bytecode.
        time_true(server)
        time_to_text(ours_argv, "CompanyID".encode(), env)
        ours: list[float] = []
        base: list[float] = []
        for _ in range(args.runs):
            base.append(time_true(server))
            ours.append(time_to_text(ours_argv, "CompanyID".encode(), env))
            server.wait_no_processes()
    finally:
        server.close()
    m_ours, m_base = statistics.median(ours), statistics.median(base)
    ratio = statistics.median(o / b for o, b in zip(ours, base))
    print()
    print(f"runs: {args.runs} of each, alternating, new SSH connection each, 120x36")
    print(f"ssh plain@host true:                      median {m_base * 1000:7.1f} ms"
          f"  (min {min(base) * 1000:.1f}, max {max(base) * 1000:.1f})")
    print(f"ssh -tt operator@host to the login screen: median {m_ours * 1000:7.1f} ms"
          f"  (min {min(ours) * 1000:.1f}, max {max(ours) * 1000:.1f})")
    print(f"ratio of medians: {m_ours / m_base:.2f}")
    print(f"median ratio (each run over the base run before it): {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
