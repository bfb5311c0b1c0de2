#!/usr/bin/env bash
# Admin write rate alone: 1 admin of the Release host on 127.0.0.1 (no gateway, no traffic), one service with WRITERS+1
# nodes; WRITERS curl processes each take their own node offline and online, alternately, COUNT times, as fast as the
# admin answers. Prints the writes per second and each write's time (p50/p90/max) as curl saw it.
# STORE: sqlite (a file in the temp dir) or postgres (a throw-away PostgreSQL 15 server, fsync on, as the postgres user).
# Usage: bench/admin-writes.sh [store=sqlite] [writers=4] [count=50]
# Every step is time-bounded; processes are stopped by PID on exit and the temp dirs are removed.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib/common.sh
STORE="${1:-sqlite}"
WRITERS="${2:-4}"
COUNT="${3:-50}"
dotnet build src/Gatehouse.Host/Gatehouse.Host.csproj -c Release -nologo -v quiet
HOST_DLL="src/Gatehouse.Host/bin/Release/net10.0/gatehouse.dll"

bench_init writes
bench_store "$STORE" writes

port="$(bench_free_port)"
admin="http://127.0.0.1:$port"
dotnet "$HOST_DLL" admin --urls "$admin" "${STORE_ARGS[@]}" --Gatehouse:Admin:Token bench-admin-token \
  --Gatehouse:ControlSecret bench-control-secret --Logging:LogLevel:Default=Warning >"$dir/admin.log" 2>&1 &
bench_track "$!"
for _ in $(seq 1 600); do
  curl -sf --max-time 2 "$admin/healthz" >/dev/null && break
  sleep 0.1
done

nodes='{"id":"n0","address":"http://127.0.0.1:9"}'
for w in $(seq 1 "$WRITERS"); do
  nodes="$nodes,{\"id\":\"n$w\",\"address\":\"http://127.0.0.1:9\"}"
done
bench_create_orders "$admin" bench-admin-token "$nodes"

for w in $(seq 1 "$WRITERS"); do
  bench_toggle_config "$admin" bench-admin-token "n$w" "$COUNT" '%{http_code} %{time_total}\n' >"$dir/writer-$w.curl"
done

started="$(date +%s.%N)"
writers=()
for w in $(seq 1 "$WRITERS"); do
  timeout 120 curl -s -K "$dir/writer-$w.curl" >"$dir/times-$w.txt" &
  writers+=("$!")
done
for pid in "${writers[@]}"; do
  wait "$pid" || true
done
ended="$(date +%s.%N)"

cat "$dir"/times-*.txt | python3 -c "
import sys
rows = [line.split() for line in sys.stdin if line.strip()]
ok = sorted(float(t) * 1000 for code, t in rows if code == '200')
elapsed = $ended - $started
p = lambda q: ok[max(0, int(q * len(ok) + 0.999999) - 1)]
print(f'$STORE, $WRITERS writers: {len(ok)} of {len(rows)} writes answered 200 in {elapsed:.2f} s = {len(ok) / elapsed:.1f} writes/s; '
      f'per write p50={p(0.5):.1f} ms p90={p(0.9):.1f} ms max={ok[-1]:.1f} ms')
"
