#!/usr/bin/env bash
# Makes sure `prometheus` and `promtool` are on PATH: the monitoring test checks and unit-tests the
# alert rules with promtool and runs a Prometheus of its own (its own port, config and data dir)
# against real apps. Installs Debian's package when missing; silent when both are already there.
# Debian's package would start a system service on :9090; nothing here uses it, so the install
# keeps it from starting (policy-rc.d) and stops it if the machine's init started it anyway.
set -euo pipefail

command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 && exit 0

echo "prometheus/promtool not found: installing Debian's prometheus package (needed to check the alert rules and run the monitoring test)"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo -n)
  else
    echo "error: cannot install prometheus: not root and no sudo. Install it yourself (apt-get install prometheus) and run again." >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: cannot install prometheus: apt-get is not available. Install Prometheus 2.x (prometheus and promtool) and run again." >&2
  exit 1
fi

# While installing, refuse service starts (exit 101 = "action forbidden"), unless a policy already
# decides; the temporary policy is removed afterwards whatever happens.
policy=/usr/sbin/policy-rc.d
own_policy=false
if [ ! -e "$policy" ]; then
  "${sudo[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
  own_policy=true
fi
cleanup() { if $own_policy; then "${sudo[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

# apt's chatter is shown only when the install fails.
if ! log=$({ "${sudo[@]}" apt-get update -qq &&
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; } 2>&1); then
  printf '%s\n' "$log" >&2
  echo "error: installing prometheus with apt-get failed (output above). Install it yourself (apt-get install prometheus) and run again." >&2
  exit 1
fi

# On a machine whose systemd started the service regardless, stop and disable it: it would hold
# :9090 and scrape nothing of ours.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ] &&
  systemctl is-active --quiet prometheus 2>/dev/null; then
  echo "stopping and disabling the prometheus system service the package started (the tests run their own)"
  "${sudo[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
echo "installed $(prometheus --version 2>&1 | head -n 1)"
