#!/usr/bin/env bash
# The one test command (`npm test`): installs dependencies if needed, starts the real Kafka broker
# and Postgres (scripts/infra.sh), builds the apps (some tests run them as child processes), and
# runs every test: unit specs, integration and end-to-end tests. Extra arguments go to jest.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
step "starting infrastructure (Kafka on 127.0.0.1:9092, Postgres on 127.0.0.1:5432)"
bash scripts/infra.sh up
# The broker-kill, cluster and chaos tests start disposable brokers from the same jars; `up` skips
# assembling them when a broker already listens, so make sure they are there.
bash scripts/infra.sh assemble
step "checking docker-compose (validates docker-compose.yml without a Docker engine)"
bash scripts/ensure-docker-compose.sh
step "checking chromium (the dashboard's browser test drives it headless)"
bash scripts/ensure-chromium.sh
step "checking prometheus and promtool (the alert rules' checks and the monitoring test)"
bash scripts/ensure-prometheus.sh
step "building"
npm run --silent build
step "running tests"
npx jest --ci --maxWorkers=2 "$@"
