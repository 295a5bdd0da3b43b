#!/usr/bin/env bash
# The benchmark (`npm run bench`): installs dependencies if needed, starts the real Kafka broker and
# Postgres (scripts/infra.sh), builds the dispatcher (the benchmark runs it from dist/ as a child
# process), then runs bench/run.ts. Sizes and knobs come from BENCH_* variables (see BENCHMARK.md);
# the figures are printed and written to bench/results/latest.json.
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
step "running the benchmark"
exec npx ts-node --transpile-only -r tsconfig-paths/register bench/run.ts
