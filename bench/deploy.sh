#!/usr/bin/env bash
# Lossless deploys under load: 1 admin + 1 gateway + 3 demo nodes that join through the SDK (embedded registry), all
# Release processes of the host on 127.0.0.1, wrk GET load through the gateway.
#  (a) kill -9 of one node: time until the gateway has it out of rotation (gatehouse_node_healthy 0 in /metrics),
#      and failed requests (non-2xx + socket errors reported by wrk).
#  (b) rolling restart of all three nodes (SIGTERM, wait for exit, start again, wait until the gateway has it back):
#      failed requests (target 0).
# Usage: bench/deploy.sh [connections=16]
# Exit status 0 when (a) is out of rotation within 2 s with 0 failed requests and (b) has 0 failed requests.
# Processes are stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
CONNECTIONS="${1:-16}"
for tool in dotnet wrk curl awk; do command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 2; }; done
dotnet build src/Gatehouse.Host/Gatehouse.Host.csproj -c Release -nologo -v quiet >/dev/null
HOST=src/Gatehouse.Host/bin/Release/net10.0/gatehouse.dll
DIR=$(mktemp -d -t gatehouse-deploy-XXXXXX)
TOKEN=bench-admin-token; REGISTRY_TOKEN=bench-registry-token; SECRET=bench-control-secret; GROUP=deploy
declare -A PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; rm -rf "$DIR"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2; local until=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < until )) || { echo "timed out: $what" >&2; tail -n 30 "$DIR"/*.log >&2; exit 1; }
    sleep 0.05
  done
}

ADMIN_PORT=$(free_port); GW_PORT=$(free_port); GW_CONTROL=$(free_port)
ADMIN="http://127.0.0.1:$ADMIN_PORT"
dotnet "$HOST" admin --urls "$ADMIN" --Gatehouse:Admin:Database "Data Source=$DIR/admin.db" --Gatehouse:Admin:Token "$TOKEN" \
  --Gatehouse:Admin:RegistryToken "$REGISTRY_TOKEN" --Gatehouse:ControlSecret "$SECRET" >"$DIR/admin.log" 2>&1 &
PIDS[admin]=$!
wait_for 60 "admin up" curl -sf "$ADMIN/healthz"
curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "{\"name\":\"$GROUP\"}" "$ADMIN/api/v1/groups"
dotnet "$HOST" gateway --admin "$ADMIN" --group "$GROUP" --port "$GW_PORT" --control-port "$GW_CONTROL" --listen 127.0.0.1 \
  --node-id gw-bench --Gatehouse:ControlSecret "$SECRET" --Gatehouse:Gateway:SnapshotPath "$DIR/snapshot.json" \
  --Gatehouse:Gateway:HeartbeatInterval 00:00:00.500 >"$DIR/gateway.log" 2>&1 &
PIDS[gateway]=$!

declare -A PORTS=([a]=$(free_port) [b]=$(free_port) [c]=$(free_port))
start_node() {
  dotnet "$HOST" demo --service orders --port "${PORTS[$1]}" --node "orders-$1" --registry "$ADMIN" --group "$GROUP" \
    --registry-token "$REGISTRY_TOKEN" >>"$DIR/node-$1.log" 2>&1 &
  PIDS[$1]=$!
}
metric() { # metric NAME NODE_PORT -> value or nothing
  curl -s -m 2 "http://127.0.0.1:$GW_CONTROL/metrics" | awk -v n="$1{" -v node="node=\"127.0.0.1:$2\"" \
    'index($0, n) == 1 && index($0, node) { print $NF }'
}
node_in_rotation() { [[ "$(metric gatehouse_node_healthy "${PORTS[$1]}")" == 1 && "$(metric gatehouse_node_online "${PORTS[$1]}")" == 1 ]] \
  && curl -s -m 2 -H 'serviceName: orders' "http://127.0.0.1:$GW_PORT/orders/1?n=$RANDOM" >/dev/null; }
served_by() { for _ in $(seq 1 30); do curl -s -m 2 -H 'serviceName: orders' "http://127.0.0.1:$GW_PORT/orders/1"; echo; done | grep -c "\"orders-$1\""; }
node_serves() { (( $(served_by "$1") > 0 )); }
for n in a b c; do start_node "$n"; done
for n in a b c; do wait_for 90 "node $n registered and served" node_serves "$n"; done

failed_requests() { # from a wrk report: non-2xx responses + socket errors
  awk '/Non-2xx/ { s += $NF } /Socket errors/ { gsub(/,/, ""); s += $4 + $6 + $8 + $10 } END { print s + 0 }' "$1"
}
run_wrk() { wrk -t1 -c"$CONNECTIONS" -d"$1"s --timeout 10s -H 'serviceName: orders' "http://127.0.0.1:$GW_PORT/orders/42" >"$2" 2>&1 & WRK=$!; PIDS[wrk]=$WRK; }

echo "== (a) kill -9 of node a under load (wrk -t1 -c$CONNECTIONS)"
run_wrk 10 "$DIR/wrk-a.txt"
sleep 3
killed=$(now_ms); kill -9 "${PIDS[a]}"
until [[ "$(metric gatehouse_node_healthy "${PORTS[a]}")" == 0 ]]; do
  (( $(now_ms) - killed < 30000 )) || { echo "node a never left rotation" >&2; exit 1; }
  sleep 0.02
done
out_ms=$(( $(now_ms) - killed ))
wait "$WRK" || true
failed_a=$(failed_requests "$DIR/wrk-a.txt")
requests_a=$(awk '/requests in/ { print $1 }' "$DIR/wrk-a.txt")
echo "out of rotation after: ${out_ms} ms; requests: $requests_a; failed: $failed_a"

start_node a
wait_for 90 "node a back" node_in_rotation a

echo "== (b) rolling restart of a, b, c under load"
run_wrk 120 "$DIR/wrk-b.txt"
sleep 2
started=$(now_ms)
for n in a b c; do
  kill -TERM "${PIDS[$n]}"
  while kill -0 "${PIDS[$n]}" 2>/dev/null; do sleep 0.05; done
  start_node "$n"
  wait_for 90 "node $n back" node_in_rotation "$n"
  echo "node $n restarted at +$(( $(now_ms) - started )) ms"
done
sleep 2
kill -INT "$WRK" 2>/dev/null || true
wait "$WRK" || true
failed_b=$(failed_requests "$DIR/wrk-b.txt")
requests_b=$(awk '/requests in/ { print $1 }' "$DIR/wrk-b.txt")
echo "rolling restart: ${requests_b} requests, failed: $failed_b"
for f in "$DIR/wrk-a.txt" "$DIR/wrk-b.txt"; do echo "--- $(basename "$f")"; cat "$f"; done

if (( out_ms <= 2000 && failed_a == 0 && failed_b == 0 )); then echo "MET"; else echo "NOT MET"; exit 1; fi
