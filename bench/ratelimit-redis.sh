#!/usr/bin/env bash
# Shared (Redis) rate limiter accuracy: three gateway processes with one config file and one redis-server, one
# backend, and one wrk per gateway far above the limit for N seconds; prints the combined admitted rate (2xx per
# second over all three) against the configured limit. GatewayCount stays 1, so a gateway that fell back to
# local counting would admit the whole limit on its own and show up as ~3x; fallbacks are also counted from logs.
# Warm-up runs against an unlimited API so the limited one starts idle; the token bucket then admits its burst
# (= limit) once for the group, which is subtracted before comparing.
# Usage: bench/ratelimit-redis.sh [--limit PER_SECOND] [--duration S] [--algorithm tokenBucket|slidingWindow] [--no-build]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIMIT=1500; DURATION=10; ALGORITHM=tokenBucket; BUILD=1
while (($#)); do
    case $1 in
        --limit) LIMIT=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --algorithm) ALGORITHM=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { echo "wrk not found; apt-get install wrk" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server not found; apt-get install redis-server" >&2; exit 1; }

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-ratelimit-redis.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; [[ -n ${KEEP:-} ]] && echo "run dir kept: $RUN_DIR" || rm -rf "$RUN_DIR"; }
trap cleanup EXIT INT TERM
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 10000)); }

if ((BUILD)); then
    dotnet build -c Release -nologo -v quiet "$ROOT/bench/Gatehouse.Bench.Backend" >/dev/null
    dotnet build -c Release -nologo -v quiet "$ROOT/src/Gatehouse.Host" >/dev/null
fi
B1=$(port); B2=$(port); REDIS=$(port)
BURST=0
[[ $ALGORITHM == tokenBucket ]] && BURST=$LIMIT
cat > "$RUN_DIR/gatehouse.yaml" <<YAML
services:
  - name: bench
    nodes:
      - { id: b1, address: "http://127.0.0.1:$B1" }
      - { id: b2, address: "http://127.0.0.1:$B2" }
    apis:
      - { id: warm, path: "/warm/**" }
      - id: limited
        path: "/**"
        policy:
          rateLimit: { algorithm: $ALGORITHM, limit: $LIMIT, windowMs: 1000, store: redis, fallback: local }
YAML
redis-server --port "$REDIS" --bind 127.0.0.1 --save "" --appendonly no >"$RUN_DIR/redis.log" 2>&1 &
PIDS+=($!)
dotnet "$ROOT/bench/Gatehouse.Bench.Backend/bin/Release/net10.0/Gatehouse.Bench.Backend.dll" "$B1" "$B2" >"$RUN_DIR/backend.log" 2>&1 &
PIDS+=($!)
GWS=(); CTLS=()
for i in 1 2 3; do
    GW=$(port); CTL=$(port); GWS+=("$GW"); CTLS+=("$CTL")
    dotnet "$ROOT/src/Gatehouse.Host/bin/Release/net10.0/gatehouse.dll" gateway --config "$RUN_DIR/gatehouse.yaml" \
        --port "$GW" --control-port "$CTL" --listen 127.0.0.1 --node-id "gw$i" --redis "127.0.0.1:$REDIS" \
        >"$RUN_DIR/gateway$i.log" 2>&1 &
    PIDS+=($!)
done
for CTL in "${CTLS[@]}"; do
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$CTL/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
done
for i in 1 2 3; do
    for _ in $(seq 1 100); do grep -q "Shared rate limiting active" "$RUN_DIR/gateway$i.log" && break; sleep 0.2; done
done

# Warm-up (JIT, connection pools) on the unlimited API of every gateway at once.
for GW in "${GWS[@]}"; do
    timeout 30 wrk -t1 -c16 -d3s -H 'serviceName: bench' "http://127.0.0.1:$GW/warm/x" >/dev/null &
done
wait_wrk() { for p in "$@"; do wait "$p"; done; }
WARM=($(jobs -p | tail -n 3)); wait_wrk "${WARM[@]}"

RUNS=()
for i in 0 1 2; do
    timeout $((DURATION + 30)) wrk -t1 -c16 -d"${DURATION}s" -H 'serviceName: bench' "http://127.0.0.1:${GWS[$i]}/" >"$RUN_DIR/wrk$i.txt" &
    RUNS+=($!)
done
wait_wrk "${RUNS[@]}"

total=0; refused=0; secs=0
for i in 0 1 2; do
    out=$(cat "$RUN_DIR/wrk$i.txt")
    t=$(awk '/requests in/ {print $1}' <<<"$out")
    r=$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out"); r=${r:-0}
    s=$(awk '/requests in/ {gsub(/s,/, "", $4); print $4}' <<<"$out")
    total=$((total + t)); refused=$((refused + r))
    secs=$(awk -v a="$secs" -v b="$s" 'BEGIN { print (b > a ? b : a) }')
done
fallbacks=$(cat "$RUN_DIR"/gateway*.log | grep -c "Shared rate limiting unavailable" || true)
awk -v t="$total" -v r="$refused" -v s="$secs" -v l="$LIMIT" -v a="$ALGORITHM" -v b="$BURST" -v f="$fallbacks" 'BEGIN {
    admitted = (t - r - b) / s; offered = t / s; pct = 100 * admitted / l
    printf "3 gateways + redis, algorithm %s, limit %d/s, %.2f s: offered %.0f/s (%.1fx the limit), admitted %.1f/s after the initial burst = %.2f%% of the limit (target within +-5%%: %s); fallbacks to local: %d\n",
        a, l, s, offered, offered / l, admitted, pct, (pct >= 95 && pct <= 105) ? "MET" : "NOT MET", f }'
