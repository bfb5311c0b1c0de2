#!/usr/bin/env bash
# The web console under load: one admin process of the Release host on 127.0.0.1 with a group of 1,000 services and
# 10,000 APIs, and Debian's Chromium through Playwright.
#   (a) each console page's time to content, in-app and on a full load, and the API calls behind it (target < 300 ms);
#   (b) the REST API's p50/p99 without and with 5 console sessions, interleaved in rounds (target: p99 does not grow).
# Usage: bench/console.sh [--no-build] [--nice N] [harness options: --services N --apis N --samples N --sessions N
#        --rounds N --seconds S --rate R --think-ms MS --skip-pages --skip-load]
# --nice N (negative, as root) runs the harness and the admin at that priority and Chromium at 0, for a box shared with
# other work: the browsers stand in for operators' own machines.
# Exit status 0 when both targets are met, 1 when one is not, 2 on a failure. Bounded: the harness gives up after
# 10 minutes and `timeout` stops it after 11; it stops the admin and Chromium itself, and this script removes the run dir.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
nice_prefix=()
args=()
while (( $# )); do
  case "$1" in
    --no-build) build=0 ;;
    --nice) nice_prefix=(nice -n "$2"); shift ;;
    *) args+=("$1") ;;
  esac
  shift
done

if [[ ! -x /usr/bin/chromium ]]; then
  echo "needs Debian's chromium (apt-get install chromium)" >&2
  exit 2
fi

if (( build )); then
  dotnet build src/Gatehouse.Host/Gatehouse.Host.csproj -c Release -nologo -v quiet
  dotnet build bench/Gatehouse.Bench.Console/Gatehouse.Bench.Console.csproj -c Release -nologo -v quiet
fi

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-console-bench.XXXXXX")
harness=""
cleanup() {
  if [[ -n "$harness" ]] && kill -0 "$harness" 2>/dev/null; then
    kill -TERM "$harness" 2>/dev/null || true
    wait "$harness" 2>/dev/null || true
  fi
  rm -rf "$run_dir"
}
trap cleanup EXIT INT TERM

echo "# console bench $(date -u +%Y-%m-%dT%H:%M:%SZ), revision $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench || echo '+changes')"
echo "# $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
echo "# command: bench/console.sh ${nice_prefix[*]:+--nice ${nice_prefix[2]} }${args[*]}"

set +e
timeout --kill-after=20 660 "${nice_prefix[@]}" dotnet bench/Gatehouse.Bench.Console/bin/Release/net10.0/Gatehouse.Bench.Console.dll \
  src/Gatehouse.Host/bin/Release/net10.0/gatehouse.dll "$run_dir" "${args[@]}" &
harness=$!
wait "$harness"
status=$?
set -e
harness=""
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg) after the run"
exit "$status"
