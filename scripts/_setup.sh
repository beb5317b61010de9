# Shared by scripts/test and scripts/demo (sourced, not run): go to the repository root,
# make .venv and install the project into it, install missing system packages.
# Quick when there is nothing to do: pip runs only when pyproject.toml changed.
#
# PORTPLUS_PG_BIN_GLOB  where PostgreSQL binaries live when not on PATH
#                       (default /usr/lib/postgresql/*/bin; tests/pg.py reads it too)
# PYTHON                the interpreter that creates .venv (default python3)

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PP_EXTRAS="postgres,test,web"
PP_STAMP=".venv/.portplus-installed"

pp_say() { printf 'portplus setup: %s\n' "$*" >&2; }

# Run a command as root: directly, or through sudo.
pp_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    pp_say "need root (or sudo) to run: $*"
    return 1
  fi
}

# apt-get install the given packages, non-interactively, after one apt-get update.
pp_apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    pp_say "apt-get not found: install these yourself, then run this again: $*"
    return 1
  fi
  pp_say "installing $*"
  # No service started by a package (openssh-server, postgresql) during the install: the
  # tests start their own servers on free ports. policy-rc.d is removed afterwards.
  local policy=/usr/sbin/policy-rc.d made_policy=0 status=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | pp_as_root tee "$policy" >/dev/null
    pp_as_root chmod 755 "$policy"
    made_policy=1
  fi
  pp_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || status=$?
  if [ "$status" -eq 0 ]; then
    pp_as_root env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "$@" >/dev/null || status=$?
  fi
  if [ "$made_policy" -eq 1 ]; then
    pp_as_root rm -f "$policy"
  fi
  return "$status"
}

pp_have_postgres() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  local dir
  # shellcheck disable=SC2086  # the glob must expand
  for dir in ${PORTPLUS_PG_BIN_GLOB:-/usr/lib/postgresql/*/bin}; do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && return 0
  done
  return 1
}

# pp_system_packages [postgres] [tmux] [ssh] [browser]: install whichever is missing.
#   ssh      OpenSSH server and client, and Debian's python3 with venv (the SSH tests
#            install the app for a throwaway operator with /usr/bin/python3 -m venv)
#   browser  Debian's Chromium and a Japanese font (the browser tests; never downloaded
#            by Playwright)
pp_system_packages() {
  local want=() what
  for what in "$@"; do
    case "$what" in
      postgres) pp_have_postgres || want+=(postgresql) ;;
      tmux) command -v tmux >/dev/null 2>&1 || want+=(tmux) ;;
      ssh)
        [ -x /usr/sbin/sshd ] || want+=(openssh-server)
        command -v ssh >/dev/null 2>&1 && command -v sftp >/dev/null 2>&1 \
          || want+=(openssh-client)
        /usr/bin/python3 -c 'import ensurepip, venv' >/dev/null 2>&1 \
          || want+=(python3 python3-venv)
        ;;
      browser)
        [ -x /usr/bin/chromium ] || want+=(chromium)
        [ -d /usr/share/fonts/opentype/ipafont-gothic ] || want+=(fonts-ipafont-gothic)
        ;;
      *) pp_say "unknown system package: $what"; return 1 ;;
    esac
  done
  if [ ${#want[@]} -gt 0 ]; then
    pp_apt_install "${want[@]}"
  fi
}

# .venv with the project installed (editable, extras $PP_EXTRAS).
pp_venv() {
  local python="${PYTHON:-python3}" stamp
  if [ ! -x .venv/bin/python ]; then
    if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
      pp_apt_install python3 python3-venv
      python=python3
    fi
    pp_say "creating .venv with $("$python" --version 2>&1)"
    "$python" -m venv .venv
  fi
  stamp="$(sha256sum pyproject.toml | cut -d' ' -f1) [$PP_EXTRAS]"
  if [ "$(cat "$PP_STAMP" 2>/dev/null)" != "$stamp" ]; then
    pp_say "installing the project into .venv (log: .venv/pip-install.log)"
    if ! .venv/bin/python -m pip install --disable-pip-version-check -e ".[$PP_EXTRAS]" \
      >.venv/pip-install.log 2>&1; then
      tail -n 40 .venv/pip-install.log >&2
      pp_say "pip install failed; the whole log is in .venv/pip-install.log"
      return 1
    fi
    printf '%s\n' "$stamp" >"$PP_STAMP"
  fi
  # The app's own modules as bytecode, as pip does for an installed package (an editable
  # install does not): a launch then need not compile them, even where
  # PYTHONDONTWRITEBYTECODE is set (~30 ms of the start-up, bench/startup.py).
  # Only what changed is compiled again.
  .venv/bin/python -m compileall -q portplus_tui >/dev/null
}
