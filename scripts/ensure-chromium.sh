#!/usr/bin/env bash
# Makes sure Debian's chromium is at /usr/bin/chromium: the dashboard's browser test drives it with
# playwright-core (never `npx playwright install`, which downloads a browser build of its own).
# Installs Debian's package when missing; silent when it is already there.
set -euo pipefail

[ -x /usr/bin/chromium ] && exit 0

echo "chromium not found: installing Debian's chromium package (the dashboard's browser test runs it headless)"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo -n)
  else
    echo "error: cannot install chromium: not root and no sudo. Install it yourself (apt-get install chromium) and run again." >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: cannot install chromium: apt-get is not available. Install Chromium at /usr/bin/chromium and run again." >&2
  exit 1
fi
# apt's chatter is shown only when the install fails. Another install running (apt holds its lock)
# is waited for, up to 5 minutes, rather than failing at once.
lock=(-o DPkg::Lock::Timeout=300)
if ! log=$({ "${sudo[@]}" apt-get "${lock[@]}" update -qq &&
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" install -y -qq chromium; } 2>&1); then
  printf '%s\n' "$log" >&2
  echo "error: installing chromium with apt-get failed (output above). Install it yourself (apt-get install chromium) and run again." >&2
  exit 1
fi
echo "installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
