#!/usr/bin/env bash
# The demo (`npm run demo`): the whole system on this machine. Starts Kafka and Postgres, builds,
# runs the dispatcher (:3001) and the producer (:3000), starts a sample receiver (:4000) that
# verifies signatures and prints what it gets, registers a webhook for it, publishes the spec's
# example events through the producer's HTTP API and shows them arriving.
#   --once   exit (stopping the apps) once every event has arrived, instead of running on
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
run="$root/.run"
mkdir -p "$run"

once=false
[ "${1:-}" = "--once" ] && once=true
producer_port=${DEMO_PRODUCER_PORT:-3000}
dispatcher_port=${DEMO_DISPATCHER_PORT:-3001}
receiver_port=${DEMO_RECEIVER_PORT:-4000}
account_id=${DEMO_ACCOUNT_ID:-11}
export DISPATCHER_API_TOKEN=${DISPATCHER_API_TOKEN:-demo-dispatcher-token}
export PRODUCER_API_TOKEN=${PRODUCER_API_TOKEN:-demo-producer-token}
export ALLOW_INSECURE_WEBHOOK_URLS=true # the demo receiver is http://127.0.0.1
# The key sealing webhook secrets at rest. The demo's is fixed and public (derived from a phrase),
# like its tokens: every checkout's demo shares the local vowchat_webhooks database, and a key of
# its own per checkout could not open what another stored (the dispatcher refuses to start then).
# Never use it outside the demo: production sets SECRET_ENCRYPTION_KEYS (see README).
if [ -z "${SECRET_ENCRYPTION_KEYS:-}" ]; then
  SECRET_ENCRYPTION_KEYS=$(node -e "process.stdout.write('demo:' + require('crypto').createHash('sha256').update('vowchat-webhooks demo key, not a secret').digest('base64'))")
fi
export SECRET_ENCRYPTION_KEYS
export LOG_LEVEL=${LOG_LEVEL:-info}

step() { printf '\n==> %s\n' "$*"; }
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# package.json's start:<app> command, run without npm in between so the PID we stop is the app's.
start_command() { node -p "require('./package.json').scripts['start:$1']"; }

wait_http() { # url, name, log
  for _ in $(seq 1 60); do
    if node -e "fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" "$1"; then return 0; fi
    sleep 0.5
  done
  echo "$2 did not come up; last lines of $3:"; tail -n 20 "$3"; exit 1
}

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
step "starting infrastructure"
bash scripts/infra.sh up
if [ "${DEMO_SKIP_BUILD:-}" != "1" ]; then # the test suite has built already
  step "building"
  npm run --silent build
fi

step "starting the dispatcher on :$dispatcher_port (log: .run/dispatcher.log)"
PORT=$dispatcher_port $(start_command dispatcher) > "$run/dispatcher.log" 2>&1 &
pids+=($!)
step "starting the producer on :$producer_port (log: .run/producer.log)"
PORT=$producer_port $(start_command producer) > "$run/producer.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$dispatcher_port/health" dispatcher "$run/dispatcher.log"
wait_http "http://127.0.0.1:$producer_port/health" producer "$run/producer.log"
echo "    dashboard: http://127.0.0.1:$dispatcher_port/dashboard (operator token: $DISPATCHER_API_TOKEN)"

step "registering a webhook for account $account_id -> http://127.0.0.1:$receiver_port/vowchat-webhook (all 8 events)"
webhook=$(node -e '
  const [base, token, account, url] = process.argv.slice(1);
  const headers = { "content-type": "application/json", api_access_token: token };
  const hooks = `${base}/api/v1/accounts/${account}/webhooks`;
  (async () => {
    // A previous demo run left a webhook with another secret: replace it.
    const { payload } = await (await fetch(hooks, { headers })).json();
    for (const w of payload.webhooks.filter((w) => w.name === "demo receiver")) await fetch(`${hooks}/${w.id}`, { method: "DELETE", headers });
  })().then(() => fetch(hooks, {
    method: "POST",
    headers: { "content-type": "application/json", api_access_token: token },
    body: JSON.stringify({ name: "demo receiver", url, subscriptions: ["conversation_created","conversation_updated","conversation_status_changed","message_created","message_updated","webwidget_triggered","conversation_typing_on","conversation_typing_off"] }),
  })).then(async (r) => { const b = await r.json(); if (!r.ok) { console.error(JSON.stringify(b)); process.exit(1); } console.log(JSON.stringify(b.payload.webhook)); });
' "http://127.0.0.1:$dispatcher_port" "$DISPATCHER_API_TOKEN" "$account_id" "http://127.0.0.1:$receiver_port/vowchat-webhook")
echo "$webhook" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const w=JSON.parse(s);console.log(`    webhook ${w.id} created (its secret goes to the receiver, never to logs)`)})'
secret=$(echo "$webhook" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).secret))')

step "starting the sample receiver on :$receiver_port (examples/receiver.ts)"
WEBHOOK_SECRET=$secret PORT=$receiver_port node dist/examples/receiver.js > "$run/receiver.log" 2>&1 &
pids+=($!)
sleep 0.5

step "publishing the spec's 8 example events through the producer API"
node dist/apps/producer/src/cli/publish-examples.js --via "http://127.0.0.1:$producer_port" --account-id "$account_id" --token "$PRODUCER_API_TOKEN"

step "waiting for them at the receiver"
for i in $(seq 1 60); do
  got=$(grep -c '"msg":"received"' "$run/receiver.log" || true)
  [ "$got" -ge 8 ] && break
  sleep 0.5
done
grep '"msg":"received"' "$run/receiver.log" | node -e '
  let s=""; process.stdin.on("data",d=>s+=d).on("end",()=>{ for (const l of s.trim().split("\n")) { const r=JSON.parse(l); console.log(`    received ${r.event.padEnd(28)} event_id=${r.event_id}`); } });'
if [ "${got:-0}" -lt 8 ]; then echo "only ${got:-0} of 8 events arrived; see .run/*.log"; exit 1; fi
echo
echo "All 8 events were delivered, signed and verified."
echo "Try: curl -s -H 'api_access_token: $DISPATCHER_API_TOKEN' http://127.0.0.1:$dispatcher_port/api/v1/accounts/$account_id/webhooks"
if $once; then exit 0; fi
echo "The system keeps running; publish more with:"
echo "  PRODUCER_API_TOKEN=$PRODUCER_API_TOKEN node dist/apps/producer/src/cli/publish-examples.js --via http://127.0.0.1:$producer_port"
echo "Press Ctrl-C to stop (Kafka keeps running: npm run infra:down stops it)."
wait
