# The HTTP → RPC benchmarks (bench/dubbo.sh, bench/tars.sh) in one: calls per second of add(1, 2) on a real server of
# the protocol, through the gateway (HTTP POST [1,2], converted to a call) and from the protocol's own client straight
# to the server, in the same run. Load generator for both: test/tools/<protocol>/bench.js (node, closed loop, N
# concurrent callers). Sourced after common.sh, never run.
#
# rpc_bench TOOLS SERVER_SCRIPT NODE_ID TITLE YAML_FUNCTION [--duration S] [--concurrency N] [--no-build]
#   TOOLS is the npm tools folder under test/tools; SERVER_SCRIPT (in it) takes a port and a node id and prints
#   "listening" when ready; YAML_FUNCTION prints the gateway's config given the server's port.

rpc_bench() {
  local root tools="$1" server="$2" node="$3" title="$4" yaml="$5"
  shift 5
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  local duration=10 concurrency=1 build=1
  while (($#)); do
    case $1 in
      --duration) duration=$2; shift 2 ;;
      --concurrency) concurrency=$2; shift 2 ;;
      --no-build) build=0; shift ;;
      *) echo "unknown option $1" >&2; exit 2 ;;
    esac
  done
  tools="$root/test/tools/$tools"
  [ -d "$tools/node_modules" ] || (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)

  bench_init "$(basename "$tools")"
  if ((build)); then
    dotnet build -c Release -nologo -v quiet "$root/src/Gatehouse.Host" >/dev/null
  fi
  local port gw ctl
  port=$(bench_free_port); gw=$(bench_free_port); ctl=$(bench_free_port)
  "$yaml" "$port" >"$dir/gatehouse.yaml"
  (cd "$tools" && exec node "$server" "$port" "$node") >"$dir/server.log" 2>&1 &
  bench_track "$!"
  dotnet "$root/src/Gatehouse.Host/bin/Release/net10.0/gatehouse.dll" gateway --config "$dir/gatehouse.yaml" \
    --port "$gw" --control-port "$ctl" --listen 127.0.0.1 >"$dir/gateway.log" 2>&1 &
  bench_track "$!"
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$ctl/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  for _ in $(seq 1 100); do grep -q '^listening' "$dir/server.log" && break; sleep 0.1; done

  echo "concurrency $concurrency, $duration s each, add(1, 2) on $title"
  (cd "$tools" && node bench.js direct "$port" "$duration" "$concurrency")
  (cd "$tools" && node bench.js http "http://127.0.0.1:$gw/add?serviceName=demo" "$duration" "$concurrency")
  (cd "$tools" && node bench.js direct "$port" "$duration" "$concurrency")
}
