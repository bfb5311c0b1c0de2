#!/usr/bin/env bash
# HTTP → Tars: calls per second of add(1, 2) on a real @tars/rpc 2.0.15 server, through the gateway (HTTP POST
# [1,2], converted to a TUP call) and from @tars/rpc's own client straight to the server, in the same run.
# Load generator for both: test/tools/tars/bench.js (node, closed loop, N concurrent callers).
# Usage: bench/tars.sh [--duration S] [--concurrency N] [--no-build]
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/rpc.sh"

config() {
  cat <<YAML
services:
  - name: demo
    nodes: [ { id: s1, address: "tars://127.0.0.1:$1" } ]
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
}

rpc_bench tars server.js s1 "@tars/rpc 2.0.15" config "$@"
