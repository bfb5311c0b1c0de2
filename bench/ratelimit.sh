#!/usr/bin/env bash
# Local rate limiter accuracy: one gateway, one backend, wrk far above the limit for N seconds; prints the
# admitted rate (2xx responses per second) against the configured limit and the overload factor.
# Warm-up runs against an unlimited API so the limited one starts the measurement idle; the token bucket then
# admits exactly its burst (= limit, the default) plus the rate, so the burst is subtracted before comparing.
# Usage: bench/ratelimit.sh [--limit PER_SECOND] [--duration S] [--algorithm tokenBucket|slidingWindow] [--no-build]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIMIT=4000; DURATION=10; ALGORITHM=tokenBucket; BUILD=1
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

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-ratelimit.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$RUN_DIR"; }
trap cleanup EXIT INT TERM
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 10000)); }

if ((BUILD)); then
    dotnet build -c Release -nologo -v quiet "$ROOT/bench/Gatehouse.Bench.Backend" >/dev/null
    dotnet build -c Release -nologo -v quiet "$ROOT/src/Gatehouse.Host" >/dev/null
fi
B1=$(port); B2=$(port); GW=$(port); CTL=$(port)
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
          rateLimit: { algorithm: $ALGORITHM, limit: $LIMIT, windowMs: 1000 }
YAML
dotnet "$ROOT/bench/Gatehouse.Bench.Backend/bin/Release/net10.0/Gatehouse.Bench.Backend.dll" "$B1" "$B2" >"$RUN_DIR/backend.log" 2>&1 &
PIDS+=($!)
dotnet "$ROOT/src/Gatehouse.Host/bin/Release/net10.0/gatehouse.dll" gateway --config "$RUN_DIR/gatehouse.yaml" \
    --port "$GW" --control-port "$CTL" --listen 127.0.0.1 >"$RUN_DIR/gateway.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$CTL/readyz" >/dev/null 2>&1 && break; sleep 0.2; done

url="http://127.0.0.1:$GW/"
# Warm-up (JIT, connection pools) on the unlimited API.
timeout 30 wrk -t1 -c32 -d3s -H 'serviceName: bench' "${url}warm/x" >/dev/null
out=$(timeout $((DURATION + 30)) wrk -t1 -c32 -d"${DURATION}s" -H 'serviceName: bench' "$url")
total=$(awk '/requests in/ {print $1}' <<<"$out")
refused=$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out"); refused=${refused:-0}
secs=$(awk '/requests in/ {gsub(/s,/, "", $4); print $4}' <<<"$out")
awk -v t="$total" -v r="$refused" -v s="$secs" -v l="$LIMIT" -v a="$ALGORITHM" -v b="$BURST" 'BEGIN {
    admitted = (t - r - b) / s; offered = t / s
    printf "algorithm %s, limit %d/s, %.2f s: offered %.0f/s (%.1fx the limit), admitted %.1f/s after the initial burst = %.2f%% of the limit (target within +-2%%)\n",
        a, l, s, offered, offered / l, admitted, 100 * admitted / l }'
