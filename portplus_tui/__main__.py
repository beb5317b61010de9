"""`portplus`: the terminal app (no sub-command) and the provider's command line.

The command line lives in ``portplus_tui/cli/`` (``cli/main.py`` runs a command; one
module per group of commands). This module is only the entry point: a bare ``portplus``
must paint the login screen fast (bench/startup.py), so it imports neither argparse nor
the command modules (``cli.main._bare_launch``).
"""

from __future__ import annotations

import sys
from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from portplus_tui.cli.main import main as run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
