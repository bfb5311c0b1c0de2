#!/usr/bin/env bash
# Config propagation: 1 admin + N gateway processes of the Release host on 127.0.0.1; M changes through the admin
# API; per change the time until every gateway has applied the new version (its "applied" log line by default, or
# its control port polled every 10 ms with "poll"); prints p50/p99/max and the CPU spent per change.
# Usage: bench/config-propagation.sh [gateways=10] [changes=100] [log|poll]
# Exit status 0 when p99 <= 300 ms. Bounded: the tool gives up after 5 minutes and kills its processes by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Gatehouse.Host/Gatehouse.Host.csproj -c Release -nologo -v quiet
dotnet build bench/Gatehouse.Bench.ConfigPropagation/Gatehouse.Bench.ConfigPropagation.csproj -c Release -nologo -v quiet
timeout 360 dotnet bench/Gatehouse.Bench.ConfigPropagation/bin/Release/net10.0/Gatehouse.Bench.ConfigPropagation.dll \
  src/Gatehouse.Host/bin/Release/net10.0/gatehouse.dll "${1:-10}" "${2:-100}" "${3:-log}"
