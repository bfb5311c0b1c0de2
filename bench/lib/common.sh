# Shell functions the bench scripts share. Sourced (`. "$(dirname "$0")/lib/common.sh"`), never run.
#
# bench_init NAME        makes the run's temp dir ($dir, gatehouse-NAME-XXXXXX) and stops every tracked process and
#                        removes the temp dirs on exit.
# bench_track PID        stops PID (by its id) on exit.
# bench_free_port        prints a free loopback port.
# bench_store STORE NAME sets STORE_ARGS, the admin's store arguments: sqlite (a file in $dir) or postgres (a
#                        throw-away PostgreSQL 15 server started with Debian's binaries, fsync on, on a free port, as the
#                        postgres user, stopped on exit).
# bench_create_orders ADMIN TOKEN NODES
#                        creates the group default and in it the service orders with the nodes NODES (JSON objects,
#                        comma-separated) and one API for every path.
# bench_toggle_config ADMIN TOKEN NODE COUNT WRITE_OUT
#                        prints a curl config (-K) of COUNT POSTs taking node NODE of orders offline, online, offline, ...
#                        on one connection, each writing out WRITE_OUT.

BENCH_PIDS=()
BENCH_PGDIR=""
dir=""

bench_cleanup() {
  # The PostgreSQL postmaster is the child of runuser: stopped by its own PID (from its pid file), fast shutdown.
  if [ -n "$BENCH_PGDIR" ] && [ -f "$BENCH_PGDIR/data/postmaster.pid" ]; then
    kill -INT "$(head -n 1 "$BENCH_PGDIR/data/postmaster.pid")" 2>/dev/null || true
  fi
  for pid in "${BENCH_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  [ -z "$dir" ] || rm -rf "$dir"
  [ -z "$BENCH_PGDIR" ] || rm -rf "$BENCH_PGDIR"
}

bench_init() {
  dir="$(mktemp -d -t "gatehouse-$1-XXXXXX")"
  trap bench_cleanup EXIT INT TERM
}

bench_track() {
  BENCH_PIDS+=("$1")
}

bench_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || echo $((20000 + RANDOM % 10000))
}

bench_store() {
  local store="$1" name="$2"
  STORE_ARGS=(--Gatehouse:Admin:Database "Data Source=$dir/admin.db")
  if [ "$store" = "postgres" ]; then
    local pg_bin=/usr/lib/postgresql/15/bin pg_port
    pg_port="$(bench_free_port)"
    # A directory of its own that the postgres user owns (the temp dir is root's, mode 700).
    BENCH_PGDIR="$(mktemp -d -t "gatehouse-$name-pg-XXXXXX")"
    chown postgres "$BENCH_PGDIR"
    timeout 60 runuser -u postgres -- "$pg_bin/initdb" -D "$BENCH_PGDIR/data" -A trust -U postgres >"$dir/initdb.log" 2>&1
    runuser -u postgres -- "$pg_bin/postgres" -D "$BENCH_PGDIR/data" -p "$pg_port" -k "$BENCH_PGDIR" -c listen_addresses=127.0.0.1 \
      >"$dir/postgres.log" 2>&1 &
    bench_track "$!"
    for _ in $(seq 1 200); do
      "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -U postgres && break
      sleep 0.1
    done
    timeout 30 "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres gatehouse
    STORE_ARGS=(--Gatehouse:Admin:Provider postgres --Gatehouse:Admin:Database "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=gatehouse")
  elif [ "$store" != "sqlite" ]; then
    echo "store must be sqlite or postgres" >&2
    exit 2
  fi
}

bench_create_orders() {
  local admin="$1" token="$2" nodes="$3"
  local auth=(-H "Authorization: Bearer $token" -H "Content-Type: application/json")
  curl -sf --max-time 10 "${auth[@]}" -d '{"name":"default"}' "$admin/api/v1/groups" >/dev/null
  curl -sf --max-time 10 "${auth[@]}" "$admin/api/v1/groups/default/services" \
    -d "{\"name\":\"orders\",\"nodes\":[$nodes],\"apis\":[{\"id\":\"all\",\"path\":\"/**\"}]}" >/dev/null
}

bench_toggle_config() {
  local admin="$1" token="$2" node="$3" count="$4" write_out="$5" action
  for i in $(seq 1 "$count"); do
    action=offline
    [ $((i % 2)) -eq 0 ] && action=online
    [ "$i" -gt 1 ] && echo "next"
    cat <<EOF
url = "$admin/api/v1/groups/default/services/orders/nodes/$node/$action"
request = "POST"
header = "Authorization: Bearer $token"
output = "/dev/null"
write-out = "$write_out"
EOF
  done
}
