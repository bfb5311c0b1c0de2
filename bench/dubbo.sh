#!/usr/bin/env bash
# HTTP → Dubbo: calls per second of add(1, 2) on a real dubbo.ts 1.0.72 provider, through the gateway (HTTP POST
# [1,2], converted to a Dubbo call) and from dubbo.ts's own Consumer straight to the provider, in the same run.
# Load generator for both: test/tools/dubbo/bench.js (node, closed loop, N concurrent callers).
# Usage: bench/dubbo.sh [--duration S] [--concurrency N] [--no-build]
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/rpc.sh"

config() {
  cat <<YAML
services:
  - name: demo
    nodes: [ { id: p1, address: "dubbo://127.0.0.1:$1" } ]
    apis:
      - id: add
        methods: [POST]
        path: /add
        protocol: dubbo
        dubbo: { interface: com.gatehouse.test.DemoService, version: 1.0.0, method: add, parameterTypes: [int, int] }
YAML
}

rpc_bench dubbo provider.js p1 "dubbo.ts 1.0.72" config "$@"
