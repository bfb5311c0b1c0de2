#!/usr/bin/env bash
# The test command: installs what the tests need, runs every test project, prints "N passed, N failed".
# Usage: scripts/test.sh [extra dotnet test args]
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests start as real servers. Installed only when missing.
# postgresql: the admin store tests run against a real PostgreSQL 15 server.
# zookeeper: the ZooKeeper client tests run against a real ZooKeeper 3.8 server (it pulls in a Java runtime).
# prometheus: the gateway metrics tests have a real Prometheus scrape /metrics and query it.
# redis-server: the RESP client, the distributed rate limiter and the shared nonce store are tested against a real Redis.
# curl, openssl: the signing example of docs/signing.md is run as written against a real gateway.
# chromium: the console's browser tests drive Debian's Chromium through Playwright (no browser download).
# haproxy: the rolling-restart scenario puts a real HAProxy, checking /readyz, in front of two gateways.
# python3-grpcio: the gRPC tests call the gateway with Debian's Python gRPC client as one of three real clients.
# libhessian-java, default-jdk-headless: the hessian2 codec is cross-checked against Caucho's reference implementation
# (test/tools/java/HessianCheck.java, run with the JDK's single-file source launcher).
APT_PACKAGES=(postgresql redis-server zookeeper prometheus curl openssl chromium haproxy python3-grpcio libhessian-java default-jdk-headless)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing test dependencies: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm packages the tests run as processes, at the versions of their committed lock files: @grpc/grpc-js (a gRPC
# client and server) in test/tools/node; dubbo.ts providers and hessian.js for the Dubbo tests in test/tools/dubbo;
# @tars/rpc servers and @tars/stream for the Tars tests in test/tools/tars.
for tools in test/tools/node test/tools/dubbo test/tools/tars; do
  if [ -f "$tools/package-lock.json" ] && [ ! -d "$tools/node_modules" ]; then
    echo "Installing npm test tools in $tools"
    (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

results="artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

dotnet build Gatehouse.slnx -c Release -nologo -v quiet
status=0
# One run per test project, each with its own TRX file name, so no result file can overwrite another.
for project in test/*/*.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" "$@" || status=$?
done

# Sum the counters of every TRX file (one per test project).
passed=0; failed=0; total=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); total=$((total + ${t:-0}))
done

if [ "$total" -eq 0 ]; then
  echo "No test results found in $results" >&2
  status=1
fi
if [ "$failed" -gt 0 ]; then
  status=1
fi
echo "$passed passed, $failed failed"
exit "$status"
