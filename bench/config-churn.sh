#!/usr/bin/env bash
# Config churn under load: 1 admin + 1 gateway + 2 demo backends of the Release host on 127.0.0.1. wrk drives an API
# that exists in every version while WRITERS curl processes make config changes through the admin API as fast as they
# can, up to RATE per second in all: each writer takes its own node of the service (orders-2 ... orders-(WRITERS+1), on
# the second backend) offline and back online, alternately (node orders-1 serves throughout, so every version has the
# route). Offline/online need no revision, so the writers do not wait for each other. Reports changes per second
# achieved, the versions the gateway applied, and wrk's requests, non-2xx/3xx responses and socket errors.
# STORE is the admin's store: sqlite (a file in the temp dir) or postgres (a throw-away PostgreSQL 15 server started
# by this script with Debian's binaries, fsync on, on a free port, as the postgres user).
# Usage: bench/config-churn.sh [seconds=30] [rate=100] [store=sqlite] [writers=4]
# Exit status 0 when wrk saw no failed request (no non-2xx/3xx, no socket error). Every step is time-bounded; processes
# are stopped by PID on exit and the temp dir is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib/common.sh
DURATION="${1:-30}"
RATE="${2:-100}"
STORE="${3:-sqlite}"
WRITERS="${4:-4}"
TOKEN="bench-admin-token"
SECRET="bench-control-secret"

command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 2; }
dotnet build src/Gatehouse.Host/Gatehouse.Host.csproj -c Release -nologo -v quiet
HOST_DLL="src/Gatehouse.Host/bin/Release/net10.0/gatehouse.dll"

bench_init churn

# Waits up to 60 s for a URL to answer 200.
wait_ok() {
  local url="$1" what="$2"
  for _ in $(seq 1 600); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" = "200" ]; then
      return 0
    fi
    sleep 0.1
  done
  echo "timed out waiting for $what" >&2
  tail -n 30 "$dir"/*.log >&2 || true
  exit 1
}

start() {
  local name="$1"
  shift
  dotnet "$HOST_DLL" "$@" >"$dir/$name.log" 2>&1 &
  bench_track "$!"
}

admin_port="$(bench_free_port)"
admin="http://127.0.0.1:$admin_port"
demo1="$(bench_free_port)"
demo2="$(bench_free_port)"
gw_port="$(bench_free_port)"
control_port="$(bench_free_port)"

bench_store "$STORE" churn

start admin admin --urls "$admin" "${STORE_ARGS[@]}" \
  --Gatehouse:Admin:Token "$TOKEN" --Gatehouse:ControlSecret "$SECRET" --Logging:LogLevel:Default=Warning
start demo1 demo --service orders --port "$demo1" --node orders-1
start demo2 demo --service orders --port "$demo2" --node orders-2
wait_ok "$admin/openapi/v1.json" "admin"
wait_ok "http://127.0.0.1:$demo1/healthz" "demo orders-1"
wait_ok "http://127.0.0.1:$demo2/healthz" "demo orders-2"

nodes="{\"id\":\"orders-1\",\"address\":\"http://127.0.0.1:$demo1\"}"
for w in $(seq 1 "$WRITERS"); do
  nodes="$nodes,{\"id\":\"orders-$((w + 1))\",\"address\":\"http://127.0.0.1:$demo2\"}"
done
bench_create_orders "$admin" "$TOKEN" "$nodes"

# Request logging off; the applier's "Config version N ... applied" lines stay on, they are what is counted.
start gateway gateway --admin "$admin" --group default --listen 127.0.0.1 --port "$gw_port" --control-port "$control_port" \
  --node-id gw-churn --Gatehouse:ControlSecret "$SECRET" --Gatehouse:Gateway:SnapshotPath "$dir/snapshot.json" \
  --Gatehouse:Gateway:PullInterval 00:00:05 --Gatehouse:Gateway:HeartbeatInterval 00:00:01 \
  --Logging:LogLevel:Default=Warning --Logging:LogLevel:Gatehouse.Gateway.ConfigSync.ConfigApplier=Information
gateway_version() {
  curl -s --max-time 2 "http://127.0.0.1:$control_port/control/config/version" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("version"))' 2>/dev/null || echo none
}
for _ in $(seq 1 600); do
  [ "$(gateway_version)" = "2" ] && break
  sleep 0.1
done
[ "$(gateway_version)" = "2" ] || { echo "gateway did not apply version 2" >&2; tail -n 30 "$dir/gateway.log" >&2; exit 1; }
code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'serviceName: orders' "http://127.0.0.1:$gw_port/orders/1" || true)"
[ "$code" = "200" ] || { echo "gateway answers $code before the run" >&2; tail -n 30 "$dir/gateway.log" >&2; exit 1; }

# The changes: writer w takes node orders-(w+1) offline, online, offline, ... One curl process per writer sends its
# changes serially on one connection, at most RATE/WRITERS per second.
total=$((DURATION * RATE / WRITERS + 1))
for w in $(seq 1 "$WRITERS"); do
  bench_toggle_config "$admin" "$TOKEN" "orders-$((w + 1))" "$total" '%{http_code}\n' >"$dir/churn-$w.curl"
done

auth=(-H "Authorization: Bearer $TOKEN")
admin_version() {
  curl -s --max-time 5 "${auth[@]}" "$admin/api/v1/groups" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["version"])'
}
admin_version_start="$(admin_version)"
applied_before="$(grep -c 'applied:' "$dir/gateway.log" || true)"
version_before="$(gateway_version)"
echo "1 admin ($STORE) + 1 gateway + 2 demo nodes up; gateway at version $version_before; wrk -t1 -c32 ${DURATION}s + up to $RATE changes/s from $WRITERS writers"

timeout $((DURATION + 15)) wrk -t1 -c32 -d"${DURATION}s" --latency -H 'serviceName: orders' \
  "http://127.0.0.1:$gw_port/orders/1" >"$dir/wrk.txt" 2>&1 &
wrk_pid=$!
bench_track "$wrk_pid"
started="$(date +%s.%N)"
writer_rate=$((RATE / WRITERS))
[ "$writer_rate" -ge 1 ] || writer_rate=1
writer_pids=()
for w in $(seq 1 "$WRITERS"); do
  timeout "$DURATION" curl -s --rate "$writer_rate/s" -K "$dir/churn-$w.curl" >"$dir/codes-$w.txt" 2>/dev/null &
  writer_pids+=("$!")
done
for pid in "${writer_pids[@]}"; do
  wait "$pid" || true
done
ended="$(date +%s.%N)"
# Counted from the admin's version, not from curl's output: timeout kills curl with its -w lines still buffered. Each
# accepted change publishes one version, and a refused one would leave every later revision stale.
admin_version_end="$(admin_version)"
wait "$wrk_pid" || true

# Let the last push land before reading the gateway's final state.
sleep 2
ok=$((admin_version_end - admin_version_start))
refused="$(cat "$dir"/codes-*.txt | grep -vc '^200$' || true)"
applied_after="$(grep -c 'applied:' "$dir/gateway.log" || true)"
version_after="$(gateway_version)"
elapsed="$(python3 -c "print(f'{$ended - $started:.1f}')")"
per_second="$(python3 -c "print(f'{$ok / ($ended - $started):.1f}')")"

echo "--- wrk"
cat "$dir/wrk.txt"
requests="$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$dir/wrk.txt")"
non2xx="$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$dir/wrk.txt")"
socket_errors="$(sed -n 's/^ *Socket errors: *\(.*\)/\1/p' "$dir/wrk.txt")"
echo "--- churn"
echo "changes accepted: $ok in ${elapsed} s = $per_second changes/s (target $RATE/s); non-200 answers curl wrote out: $refused"
echo "admin version $admin_version_start -> $admin_version_end; gateway version $version_before -> $version_after; versions the gateway applied during the run: $((applied_after - applied_before))"
echo "wrk: ${requests:-?} requests, non-2xx/3xx: ${non2xx:-0}, socket errors: ${socket_errors:-none}"
if [ -n "$requests" ] && [ -z "$non2xx" ] && [ -z "$socket_errors" ]; then
  echo "0 failed requests: met"
  exit 0
fi
echo "0 failed requests: NOT met"
exit 1
