#!/usr/bin/env bash
# Makes sure `docker-compose` is on PATH: the tests validate docker-compose.yml with
# `docker-compose config`, which needs no Docker engine. Installs Debian's package when missing;
# silent when it is already there.
set -euo pipefail

command -v docker-compose >/dev/null 2>&1 && exit 0

echo "docker-compose not found: installing Debian's docker-compose package (needed to validate docker-compose.yml)"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo -n)
  else
    echo "error: cannot install docker-compose: not root and no sudo. Install it yourself (apt-get install docker-compose) and run again." >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: cannot install docker-compose: apt-get is not available. Install docker-compose (1.29 or newer) and run again." >&2
  exit 1
fi
# apt's chatter is shown only when the install fails.
if ! log=$({ "${sudo[@]}" apt-get update -qq &&
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose; } 2>&1); then
  printf '%s\n' "$log" >&2
  echo "error: installing docker-compose with apt-get failed (output above). Install it yourself (apt-get install docker-compose) and run again." >&2
  exit 1
fi
echo "installed $(docker-compose version --short 2>/dev/null || echo docker-compose)"
