#!/usr/bin/env bash
# CPU and allocation cost per request of one or more gateway builds, interleaved (A/B comparisons of changes).
#
#   bench/cpu-alloc.sh [--scenario get|post] [--rounds N] [--duration S] [--env 'K=V ...'] DLL [DLL...]
#
# For each round and each DLL: start the bench backend and the gateway (same config as bench/run.sh), warm up
# with wrk for 5 s, then measure one wrk run (-t1 -c32) and print
#   RPS, proxy CPU us/req   (utime+stime of the gateway process over the run / requests), and
#   allocated bytes/req     (gatehouse_process_allocated_bytes_total from the control port's /metrics),
#   ctx switches/req        (voluntary + involuntary, summed over the gateway's threads).
# Allocations and context switches per request hardly depend on how busy the machine is; CPU per request does (context switches), so
# compare builds measured in the same run, round by round. --env is passed to the gateway process only
# (e.g. --env 'DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0').
set -euo pipefail

SCENARIO=get
ROUNDS=2
DURATION=8
GATEWAY_ENV=""
DLLS=()
while (($#)); do
    case $1 in
        --scenario) SCENARIO=${2:?}; shift 2 ;;
        --rounds) ROUNDS=${2:?}; shift 2 ;;
        --duration) DURATION=${2:?}; shift 2 ;;
        --env) GATEWAY_ENV=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) DLLS+=("$1"); shift ;;
    esac
done
((${#DLLS[@]})) || { echo "usage: $0 [options] gatehouse.dll [more.dll...]" >&2; exit 2; }

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKEND_DLL="$REPO_DIR/bench/Gatehouse.Bench.Backend/bin/Release/net10.0/Gatehouse.Bench.Backend.dll"
[[ -f $BACKEND_DLL ]] || dotnet build "$REPO_DIR/bench/Gatehouse.Bench.Backend" -c Release -nologo -v quiet >/dev/null
CLK_TCK=$(getconf CLK_TCK)
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-cpualloc.XXXXXX")
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$RUN_DIR"
}
trap cleanup EXIT INT TERM

TAKEN=" "
pick_port() {
    local port i
    for ((i = 0; i < 500; i++)); do
        port=$((20000 + RANDOM % 12000))
        [[ $TAKEN == *" $port "* ]] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            TAKEN+="$port "
            echo "$port"
            return 0
        fi
    done
    echo "no free port" >&2
    exit 1
}

wait_ok() {
    local i
    for ((i = 0; i < 120; i++)); do
        curl -sf -o /dev/null "$@" && return 0
        sleep 0.5
    done
    echo "not ready: $*" >&2
    exit 1
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Context switches summed over the process's current threads (thread-pool threads are steady under load).
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/{n += $2} END {print n}'; }
allocated() { curl -sf "http://127.0.0.1:$1/metrics" | awk '/^gatehouse_process_allocated_bytes_total /{print $2}'; }

measure() {
    local dll=$1 label=$2 p1 p2 gp cp backend gateway wrk_args t0 t1 a0 a1 c0 c1 requests rps
    p1=$(pick_port); p2=$(pick_port); gp=$(pick_port); cp=$(pick_port)
    dotnet "$BACKEND_DLL" "$p1" "$p2" >"$RUN_DIR/backend.log" 2>&1 &
    backend=$!; PIDS+=("$backend")
    cat >"$RUN_DIR/gatehouse.yaml" <<EOF
services:
  - name: bench
    policy:
      loadBalancer: { kind: roundRobin }
    nodes:
      - { id: b1, address: "http://127.0.0.1:$p1" }
      - { id: b2, address: "http://127.0.0.1:$p2" }
    apis:
      - { id: all, path: "/**" }
EOF
    # shellcheck disable=SC2086 # GATEWAY_ENV is a list of K=V words
    env $GATEWAY_ENV dotnet "$dll" gateway --config "$RUN_DIR/gatehouse.yaml" --port "$gp" --control-port "$cp" \
        --listen 127.0.0.1 >"$RUN_DIR/gatehouse.log" 2>&1 &
    gateway=$!; PIDS+=("$gateway")
    wait_ok "http://127.0.0.1:$p1/"
    wait_ok -H 'serviceName: bench' "http://127.0.0.1:$gp/"
    if [[ $SCENARIO == post ]]; then
        wrk_args=(-s "$REPO_DIR/bench/post64k.lua" "http://127.0.0.1:$gp/echo-size")
    else
        wrk_args=("http://127.0.0.1:$gp/")
    fi
    timeout 30 wrk -t1 -c32 -d5s -H 'serviceName: bench' "${wrk_args[@]}" >/dev/null
    a0=$(allocated "$cp"); c0=$(switches "$gateway"); t0=$(ticks "$gateway")
    timeout $((DURATION + 20)) wrk -t1 -c32 -d"${DURATION}s" -H 'serviceName: bench' "${wrk_args[@]}" >"$RUN_DIR/wrk.txt"
    t1=$(ticks "$gateway"); c1=$(switches "$gateway"); a1=$(allocated "$cp")
    requests=$(awk '/requests in/{print $1}' "$RUN_DIR/wrk.txt")
    rps=$(awk '/^Requests\/sec/{print $2}' "$RUN_DIR/wrk.txt")
    if grep -q 'Non-2xx\|Socket errors' "$RUN_DIR/wrk.txt"; then
        echo "  $label: wrk reported errors:" >&2
        grep 'Non-2xx\|Socket errors' "$RUN_DIR/wrk.txt" >&2
    fi
    awk -v l="$label" -v rps="$rps" -v t="$((t1 - t0))" -v hz="$CLK_TCK" -v n="$requests" -v a="$((a1 - a0))" \
        -v c="$((c1 - c0))" \
        'BEGIN { printf "  %-36s %7.0f rps %7.2f us CPU/req %6.0f B alloc/req %5.2f ctx switches/req\n", l, rps, t * 1e6 / hz / n, a / n, c / n }'
    kill "$gateway" "$backend"
    wait "$gateway" "$backend" 2>/dev/null || true
    PIDS=()
}

echo "scenario $SCENARIO, $ROUNDS round(s), ${DURATION}s each; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 1; round <= ROUNDS; round++)); do
    for i in "${!DLLS[@]}"; do
        measure "${DLLS[$i]}" "round $round  build $((i + 1)) ${DLLS[$i]}"
    done
done
