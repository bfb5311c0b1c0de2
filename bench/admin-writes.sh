#!/usr/bin/env bash
# Admin write rate alone: 1 admin of the Release host on 127.0.0.1 (no gateway, no traffic), one service with WRITERS+1
# nodes; WRITERS curl processes each take their own node offline and online, alternately, COUNT times, as fast as the
# admin answers. Prints the writes per second and each write's time (p50/p90/max) as curl saw it.
# STORE: sqlite (a file in the temp dir) or postgres (a throw-away PostgreSQL 15 server, fsync on, as the postgres user).
# Usage: bench/admin-writes.sh [store=sqlite] [writers=4] [count=50]
# Every step is time-bounded; processes are stopped by PID on exit and the temp dirs are removed.
set -euo pipefail
cd "$(dirname "$0")/.."
STORE="${1:-sqlite}"
WRITERS="${2:-4}"
COUNT="${3:-50}"
dotnet build src/Gatehouse.Host/Gatehouse.Host.csproj -c Release -nologo -v quiet
HOST_DLL="src/Gatehouse.Host/bin/Release/net10.0/gatehouse.dll"

dir="$(mktemp -d -t gatehouse-writes-XXXXXX)"
pgdir=""
pids=()
cleanup() {
  if [ -n "$pgdir" ] && [ -f "$pgdir/data/postmaster.pid" ]; then
    kill -INT "$(head -n 1 "$pgdir/data/postmaster.pid")" 2>/dev/null || true
  fi
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
  [ -z "$pgdir" ] || rm -rf "$pgdir"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

store_args=(--Gatehouse:Admin:Database "Data Source=$dir/admin.db")
if [ "$STORE" = "postgres" ]; then
  pg_bin=/usr/lib/postgresql/15/bin
  pg_port="$(free_port)"
  pgdir="$(mktemp -d -t gatehouse-writes-pg-XXXXXX)"
  chown postgres "$pgdir"
  timeout 60 runuser -u postgres -- "$pg_bin/initdb" -D "$pgdir/data" -A trust -U postgres >"$dir/initdb.log" 2>&1
  runuser -u postgres -- "$pg_bin/postgres" -D "$pgdir/data" -p "$pg_port" -k "$pgdir" -c listen_addresses=127.0.0.1 \
    >"$dir/postgres.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 200); do
    "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -U postgres && break
    sleep 0.1
  done
  timeout 30 "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres gatehouse
  store_args=(--Gatehouse:Admin:Provider postgres --Gatehouse:Admin:Database "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=gatehouse")
elif [ "$STORE" != "sqlite" ]; then
  echo "store must be sqlite or postgres" >&2
  exit 2
fi

port="$(free_port)"
admin="http://127.0.0.1:$port"
dotnet "$HOST_DLL" admin --urls "$admin" "${store_args[@]}" --Gatehouse:Admin:Token bench-admin-token \
  --Gatehouse:ControlSecret bench-control-secret --Logging:LogLevel:Default=Warning >"$dir/admin.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 600); do
  curl -sf --max-time 2 "$admin/healthz" >/dev/null && break
  sleep 0.1
done

auth=(-H "Authorization: Bearer bench-admin-token" -H "Content-Type: application/json")
curl -sf --max-time 10 "${auth[@]}" -d '{"name":"default"}' "$admin/api/v1/groups" >/dev/null
nodes='{"id":"n0","address":"http://127.0.0.1:9"}'
for w in $(seq 1 "$WRITERS"); do
  nodes="$nodes,{\"id\":\"n$w\",\"address\":\"http://127.0.0.1:9\"}"
done
curl -sf --max-time 10 "${auth[@]}" "$admin/api/v1/groups/default/services" \
  -d "{\"name\":\"orders\",\"nodes\":[$nodes],\"apis\":[{\"id\":\"all\",\"path\":\"/**\"}]}" >/dev/null

for w in $(seq 1 "$WRITERS"); do
  for i in $(seq 1 "$COUNT"); do
    action=offline
    [ $((i % 2)) -eq 0 ] && action=online
    [ "$i" -gt 1 ] && echo "next"
    printf 'url = "%s/api/v1/groups/default/services/orders/nodes/n%s/%s"\nrequest = "POST"\nheader = "Authorization: Bearer bench-admin-token"\noutput = "/dev/null"\nwrite-out = "%%{http_code} %%{time_total}\\n"\n' \
      "$admin" "$w" "$action"
  done >"$dir/writer-$w.curl"
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
