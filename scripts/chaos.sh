#!/usr/bin/env bash
# The chaos suite (`npm run chaos`, issue 13): starts the shared infrastructure (scripts/infra.sh;
# the scenarios start their own disposable brokers and Postgres clusters beside it, and never stop
# the shared ones), builds the apps (the scenarios run them from dist/ as child processes), then runs
# chaos/run.ts. Arguments go to it: scenario names, --scale N, --soak-scale N, --list.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
step "starting infrastructure (Kafka on 127.0.0.1:9092, Postgres on 127.0.0.1:5432)"
bash scripts/infra.sh up
step "building"
npm run --silent build
step "running the chaos scenarios"
exec npx ts-node --transpile-only -r tsconfig-paths/register chaos/run.ts "$@"
