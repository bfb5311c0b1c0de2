#!/usr/bin/env bash
# HTTP → Tars: calls per second of add(1, 2) on a real @tars/rpc 2.0.15 server, through the gateway (HTTP POST
# [1,2], converted to a TUP call) and from @tars/rpc's own client straight to the server, in the same run.
# Load generator for both: test/tools/tars/bench.js (node, closed loop, N concurrent callers).
# Usage: bench/tars.sh [--duration S] [--concurrency N] [--no-build]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=10; CONCURRENCY=1; BUILD=1
while (($#)); do
    case $1 in
        --duration) DURATION=$2; shift 2 ;;
        --concurrency) CONCURRENCY=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
TOOLS="$ROOT/test/tools/tars"
[ -d "$TOOLS/node_modules" ] || (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error)

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-tars.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$RUN_DIR"; }
trap cleanup EXIT INT TERM
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 10000)); }

if ((BUILD)); then
    dotnet build -c Release -nologo -v quiet "$ROOT/src/Gatehouse.Host" >/dev/null
fi
P=$(port); GW=$(port); CTL=$(port)
cat > "$RUN_DIR/gatehouse.yaml" <<YAML
services:
  - name: demo
    nodes: [ { id: s1, address: "tars://127.0.0.1:$P" } ]
    apis:
      - id: add
        methods: [POST]
        path: /add
        protocol: tars
        tars:
          servant: Gatehouse.DemoServer.DemoObj
          function: add
          parameters: [ { name: a, type: int }, { name: b, type: int } ]
          returnType: int
YAML
(cd "$TOOLS" && exec node server.js "$P" s1) >"$RUN_DIR/server.log" 2>&1 &
PIDS+=($!)
dotnet "$ROOT/src/Gatehouse.Host/bin/Release/net10.0/gatehouse.dll" gateway --config "$RUN_DIR/gatehouse.yaml" \
    --port "$GW" --control-port "$CTL" --listen 127.0.0.1 >"$RUN_DIR/gateway.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$CTL/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
for _ in $(seq 1 100); do grep -q '^listening' "$RUN_DIR/server.log" && break; sleep 0.1; done

echo "concurrency $CONCURRENCY, $DURATION s each, add(1, 2) on @tars/rpc 2.0.15"
(cd "$TOOLS" && node bench.js direct "$P" "$DURATION" "$CONCURRENCY")
(cd "$TOOLS" && node bench.js http "http://127.0.0.1:$GW/add?serviceName=demo" "$DURATION" "$CONCURRENCY")
(cd "$TOOLS" && node bench.js direct "$P" "$DURATION" "$CONCURRENCY")
