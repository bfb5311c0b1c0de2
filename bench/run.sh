#!/usr/bin/env bash
# Load harness: direct backend vs nginx, haproxy, YARP and Gatehouse, interleaved in one run, so the
# ratios hold even on a noisy box. See bench/README.md for what each number means.
#
#   bench/run.sh [--rounds N] [--duration S] [--warmup S] [--quick] [--no-build] [--no-gateway]
#                [--no-haproxy] [--no-yarp] [--no-loop]
#                [--gateway-dll FILE] [--gateway-arg ARG]... [--no-stream] [--raw FILE] [--keep] [--account]
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
COMMAND_LINE="bench/run.sh${*:+ $*}"

ROUNDS=3
DURATION=10
WARMUP=5
BUILD=1
GATEWAY=1
STREAM=1
RAW_OUT=""
GATEWAY_DLL=""
GATEWAY_EXTRA_ARGS=()
KEEP=0
ACCOUNT=0
HAPROXY_PEER=1
YARP_PEER=1
LOOP_PEER=1
rounds_set=0
duration_set=0
warmup_set=0
quick=0

STREAM_BYTES=1073741824   # 1 GiB each way
STREAM_TIMEOUT=300        # seconds per transfer; a stalled stream fails instead of hanging the run
READY_TIMEOUT=60          # seconds for a process to become ready
HEADER_NAME="serviceName"
SERVICE="bench"

usage() {
    cat <<'EOF'
usage: bench/run.sh [options]
  --rounds N      interleaved rounds (default 3)
  --duration S    seconds per wrk run (default 10)
  --warmup S      seconds of discarded load per target and scenario before round 1 (default 5)
  --quick         smoke test: 1 round, 3 s runs, 1 s warm-up (explicit options still win)
  --no-build      use the existing Release builds
  --no-gateway    measure the peers only (no Gatehouse build, no streaming)
  --no-haproxy    leave haproxy out
  --no-yarp       leave YARP out (no YARP build)
  --no-loop       leave gatehouse-loop out (the same gateway with Gatehouse:Gateway:Engine=loop)
  --gateway-dll F run this gatehouse.dll instead of building src/Gatehouse.Host (e.g. another commit's build)
  --gateway-arg A pass one more argument to the gateway (repeatable), e.g. a --Section:Key=value setting
  --no-stream     skip the 1 GiB upload/download memory check
  --raw FILE      also write the per-run measurements (TSV) to FILE
  --keep          keep the temp run dir (logs, configs) and print its path
  --account       instead of the rounds: per request, on GET c32, what each process spends (CPU, context
                  switches, CPU migrations from /proc; system calls from a second run under strace -c)
EOF
}

die() {
    echo "error: $*" >&2
    exit 1
}

while (($#)); do
    case $1 in
        --rounds) ROUNDS=${2:?--rounds needs a value}; rounds_set=1; shift 2 ;;
        --duration) DURATION=${2:?--duration needs a value}; duration_set=1; shift 2 ;;
        --warmup) WARMUP=${2:?--warmup needs a value}; warmup_set=1; shift 2 ;;
        --quick) quick=1; shift ;;
        --no-build) BUILD=0; shift ;;
        --no-gateway) GATEWAY=0; STREAM=0; LOOP_PEER=0; shift ;;
        --no-haproxy) HAPROXY_PEER=0; shift ;;
        --no-yarp) YARP_PEER=0; shift ;;
        --no-loop) LOOP_PEER=0; shift ;;
        --gateway-dll) GATEWAY_DLL=${2:?--gateway-dll needs a file}; shift 2 ;;
        --gateway-arg) GATEWAY_EXTRA_ARGS+=("${2:?--gateway-arg needs a value}"); shift 2 ;;
        --no-stream) STREAM=0; shift ;;
        --raw) RAW_OUT=${2:?--raw needs a file}; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --account) ACCOUNT=1; STREAM=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option '$1'" ;;
    esac
done
if ((quick)); then
    ((rounds_set)) || ROUNDS=1
    ((duration_set)) || DURATION=3
    ((warmup_set)) || WARMUP=1
fi
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "--duration must be a positive integer (seconds)"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "--warmup must be a non-negative integer (seconds)"
if [[ -n $RAW_OUT && $RAW_OUT != /* ]]; then
    RAW_OUT="$PWD/$RAW_OUT"
fi
BUILD_GATEWAY=$GATEWAY
if [[ -n $GATEWAY_DLL ]]; then
    [[ $GATEWAY_DLL == /* ]] || GATEWAY_DLL="$PWD/$GATEWAY_DLL"
    BUILD_GATEWAY=0
fi

# ---------------------------------------------------------------------------------------------------
# Prerequisites: fail before building anything.
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
# nginx lives in /usr/sbin, which is not on every user's PATH.
NGINX=$(command -v nginx 2>/dev/null || true)
[[ -z $NGINX && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
[[ -n $NGINX ]] || missing+=(nginx)
HAPROXY=""
if ((HAPROXY_PEER)); then
    HAPROXY=$(command -v haproxy 2>/dev/null || true)
    [[ -z $HAPROXY && -x /usr/sbin/haproxy ]] && HAPROXY=/usr/sbin/haproxy
    [[ -n $HAPROXY ]] || missing+=(haproxy)
fi
if ((${#missing[@]})); then
    die "${missing[*]} not found; install with: apt-get install wrk nginx haproxy (or leave haproxy out with --no-haproxy)"
fi
for tool in dotnet curl awk getconf timeout head; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done
[[ -r /proc/self/stat && -r /proc/self/io ]] || die "needs Linux /proc (CPU and memory are read from /proc/PID)"
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------------------------------------------
# Process tracking: everything started here is stopped by PID on exit, and the temp dir removed.
PIDS=()
NGINX_WORKERS=()
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")
# nginx's workers drop root privileges and must reach their temp dirs inside the run dir.
chmod 755 "$RUN_DIR"

cleanup() {
    local status=$? pid alive i
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for ((i = 0; i < 50; i++)); do
        alive=0
        for pid in "${PIDS[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        ((alive)) || break
        sleep 0.1
    done
    # nginx workers are stopped by their master; only ones it left behind (master killed hard) get a KILL.
    for pid in "${PIDS[@]}" "${NGINX_WORKERS[@]}"; do
        kill -9 "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    if ((KEEP)); then
        echo "run dir kept: $RUN_DIR" >&2
    else
        rm -rf "$RUN_DIR"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Shows the end of a process log, then fails: the run dir goes away on exit, so the evidence is printed.
die_with_log() {
    local log=$1
    shift
    if [[ -f $log ]]; then
        echo "---- last lines of $(basename "$log") ----" >&2
        tail -n 40 "$log" >&2
        echo "----" >&2
    fi
    die "$@"
}

# ---------------------------------------------------------------------------------------------------
# Free loopback ports, taken below Linux's ephemeral range (32768+) so they cannot collide with the
# outgoing connections of wrk and the proxies.
TAKEN_PORTS=" "
pick_port() {
    local var=$1 port i
    for ((i = 0; i < 500; i++)); do
        port=$((20000 + RANDOM % 12000))
        [[ $TAKEN_PORTS == *" $port "* ]] && continue
        # A refused connection means nobody listens there.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            TAKEN_PORTS+="$port "
            printf -v "$var" '%s' "$port"
            return 0
        fi
    done
    die "no free loopback port found"
}

# utime+stime, in clock ticks, summed over the given PIDs (whole processes: all threads are included).
cpu_ticks() {
    local total=0 pid line fields
    for pid in "$@"; do
        read -r line <"/proc/$pid/stat" || die "process $pid is gone"
        # The comm field may hold spaces: cut through its closing parenthesis, then field 3 is index 0.
        read -ra fields <<<"${line##*) }"
        total=$((total + fields[11] + fields[12]))
    done
    echo "$total"
}

children_of() {
    local parent=$1 stat line fields pid
    for stat in /proc/[0-9]*/stat; do
        read -r line 2>/dev/null <"$stat" || continue
        read -ra fields <<<"${line##*) }"
        if [[ ${fields[1]} == "$parent" ]]; then
            pid=${stat#/proc/}
            echo "${pid%/stat}"
        fi
    done
}

rss_kib() {
    local key value rest
    while read -r key value rest; do
        if [[ $key == VmRSS: ]]; then
            echo "$value"
            return 0
        fi
    done <"/proc/$1/status"
    return 1
}

write_bytes() {
    local key value
    while read -r key value; do
        if [[ $key == write_bytes: ]]; then
            echo "$value"
            return 0
        fi
    done <"/proc/$1/io"
    return 1
}

# Polls until URL answers the wanted status, failing early when the process behind it died.
wait_http() {
    local url=$1 want=$2 pid=$3 log=$4 what=$5 code="" deadline=$((SECONDS + READY_TIMEOUT))
    shift 5
    while ((SECONDS < deadline)); do
        kill -0 "$pid" 2>/dev/null || die_with_log "$log" "$what exited during start-up"
        code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$@" "$url" || true)
        [[ $code == "$want" ]] && return 0
        sleep 0.2
    done
    die_with_log "$log" "$what not ready at $url after ${READY_TIMEOUT}s (last status '$code')"
}

# ---------------------------------------------------------------------------------------------------
BACKEND_DLL="$BENCH_DIR/Gatehouse.Bench.Backend/bin/Release/net10.0/Gatehouse.Bench.Backend.dll"
YARP_DLL="$BENCH_DIR/Gatehouse.Bench.Yarp/bin/Release/net10.0/Gatehouse.Bench.Yarp.dll"
GATEWAY_DLL=${GATEWAY_DLL:-"$REPO_DIR/src/Gatehouse.Host/bin/Release/net10.0/gatehouse.dll"}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

build() {
    local project=$1 log
    log="$RUN_DIR/build-$(basename "$project").log"
    echo "building $project (Release)..."
    timeout 900 dotnet build -c Release -nologo "$REPO_DIR/$project" >"$log" 2>&1 \
        || die_with_log "$log" "build of $project failed"
}

echo "Gatehouse load harness"
echo "command:  $COMMAND_LINE"
echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine:  $(nproc) cores, $(uname -sr), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2 / 1048576}' /proc/meminfo), loopback only"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min load average before the run)"
echo "tools:    $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2), $("$NGINX" -v 2>&1 | sed 's/.*: //')$( ((HAPROXY_PEER)) && echo ", haproxy $("$HAPROXY" -v 2>&1 | head -n 1 | cut -d' ' -f3)")$( ((YARP_PEER)) && echo ", YARP 2.3.0"), dotnet $(dotnet --version)"
if command -v git >/dev/null 2>&1 && git -C "$REPO_DIR" rev-parse --short HEAD >/dev/null 2>&1; then
    echo "revision: $(git -C "$REPO_DIR" rev-parse --short HEAD)$(git -C "$REPO_DIR" diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"
fi
((GATEWAY)) && echo "gateway:  ${GATEWAY_DLL#"$REPO_DIR"/}${GATEWAY_EXTRA_ARGS[*]:+ ${GATEWAY_EXTRA_ARGS[*]}}"
echo "plan:     $ROUNDS round(s) x 3 scenarios x direct/nginx$( ((HAPROXY_PEER)) && echo /haproxy)$( ((YARP_PEER)) && echo /yarp)$( ((GATEWAY)) && echo /gatehouse)$( ((LOOP_PEER)) && echo /gatehouse-loop), ${DURATION}s per run, ${WARMUP}s warm-up"
echo

if ((BUILD)); then
    build bench/Gatehouse.Bench.Backend
    ((YARP_PEER)) && build bench/Gatehouse.Bench.Yarp
    ((BUILD_GATEWAY)) && build src/Gatehouse.Host
fi
[[ -f $BACKEND_DLL ]] || die "$BACKEND_DLL missing (run without --no-build)"
if ((YARP_PEER)); then
    [[ -f $YARP_DLL ]] || die "$YARP_DLL missing (run without --no-build)"
fi
if ((GATEWAY)); then
    [[ -f $GATEWAY_DLL ]] || die "$GATEWAY_DLL missing (run without --no-build)"
fi

pick_port BACKEND_PORT_1
pick_port BACKEND_PORT_2
pick_port NGINX_PORT
pick_port HAPROXY_PORT
pick_port YARP_PORT
pick_port GATEWAY_PORT
pick_port CONTROL_PORT
pick_port LOOP_PORT
pick_port LOOP_CONTROL_PORT

# :: Backend -----------------------------------------------------------------------------------------
BACKEND_LOG="$RUN_DIR/backend.log"
dotnet "$BACKEND_DLL" "$BACKEND_PORT_1" "$BACKEND_PORT_2" >"$BACKEND_LOG" 2>&1 &
BACKEND_PID=$!
PIDS+=("$BACKEND_PID")
wait_http "http://127.0.0.1:$BACKEND_PORT_1/" 200 "$BACKEND_PID" "$BACKEND_LOG" "backend"
wait_http "http://127.0.0.1:$BACKEND_PORT_2/" 200 "$BACKEND_PID" "$BACKEND_LOG" "backend"

# :: nginx -------------------------------------------------------------------------------------------
NGINX_DIR="$RUN_DIR/nginx"
NGINX_LOG="$NGINX_DIR/error.log"
mkdir -p "$NGINX_DIR"
sed -e "s|@RUN_DIR@|$NGINX_DIR|g" \
    -e "s|@PORT@|$NGINX_PORT|g" \
    -e "s|@BACKEND_PORT_1@|$BACKEND_PORT_1|g" \
    -e "s|@BACKEND_PORT_2@|$BACKEND_PORT_2|g" \
    "$BENCH_DIR/nginx.conf.template" >"$NGINX_DIR/nginx.conf"
"$NGINX" -t -q -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_LOG" 2>"$NGINX_DIR/test.log" \
    || die_with_log "$NGINX_DIR/test.log" "nginx rejected the generated config"
"$NGINX" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_LOG" >"$NGINX_DIR/stdout.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
wait_http "http://127.0.0.1:$NGINX_PORT/" 200 "$NGINX_PID" "$NGINX_LOG" "nginx"
mapfile -t NGINX_WORKERS < <(children_of "$NGINX_PID")
((${#NGINX_WORKERS[@]})) || die_with_log "$NGINX_LOG" "no nginx worker process found under master $NGINX_PID"

TARGETS=(direct nginx)
declare -A TARGET_PORT=([direct]=$BACKEND_PORT_1 [nginx]=$NGINX_PORT)
declare -A PROXY_PIDS=([direct]="" [nginx]="${NGINX_WORKERS[*]}")

# :: haproxy -----------------------------------------------------------------------------------------
if ((HAPROXY_PEER)); then
    HAPROXY_DIR="$RUN_DIR/haproxy"
    HAPROXY_LOG="$HAPROXY_DIR/haproxy.log"
    mkdir -p "$HAPROXY_DIR"
    sed -e "s|@RUN_DIR@|$HAPROXY_DIR|g" \
        -e "s|@PORT@|$HAPROXY_PORT|g" \
        -e "s|@BACKEND_PORT_1@|$BACKEND_PORT_1|g" \
        -e "s|@BACKEND_PORT_2@|$BACKEND_PORT_2|g" \
        "$BENCH_DIR/haproxy.cfg.template" >"$HAPROXY_DIR/haproxy.cfg"
    "$HAPROXY" -c -q -f "$HAPROXY_DIR/haproxy.cfg" >"$HAPROXY_DIR/test.log" 2>&1 \
        || die_with_log "$HAPROXY_DIR/test.log" "haproxy rejected the generated config"
    # -db: foreground, one process (no master-worker), so this PID is the one doing the work.
    "$HAPROXY" -db -f "$HAPROXY_DIR/haproxy.cfg" >"$HAPROXY_LOG" 2>&1 &
    HAPROXY_PID=$!
    PIDS+=("$HAPROXY_PID")
    wait_http "http://127.0.0.1:$HAPROXY_PORT/" 200 "$HAPROXY_PID" "$HAPROXY_LOG" "haproxy"
    TARGETS+=(haproxy)
    TARGET_PORT[haproxy]=$HAPROXY_PORT
    PROXY_PIDS[haproxy]=$HAPROXY_PID
fi

# :: YARP --------------------------------------------------------------------------------------------
if ((YARP_PEER)); then
    YARP_LOG="$RUN_DIR/yarp.log"
    dotnet "$YARP_DLL" "$YARP_PORT" "$BACKEND_PORT_1" "$BACKEND_PORT_2" >"$YARP_LOG" 2>&1 &
    YARP_PID=$!
    PIDS+=("$YARP_PID")
    wait_http "http://127.0.0.1:$YARP_PORT/" 200 "$YARP_PID" "$YARP_LOG" "YARP"
    [[ $(<"/proc/$YARP_PID/comm") == dotnet ]] || die "pid $YARP_PID is '$(<"/proc/$YARP_PID/comm")', not YARP's dotnet process"
    TARGETS+=(yarp)
    TARGET_PORT[yarp]=$YARP_PORT
    PROXY_PIDS[yarp]=$YARP_PID
fi

# :: Gatehouse ---------------------------------------------------------------------------------------
# start_gatehouse ENGINE PORT CONTROL_PORT LOG LABEL: one gateway on the generated config, ready and checked;
# sets STARTED_PID. Its console goes through a pipe, as a container's stdout would, so that its own write_bytes
# counts what it writes to disk itself, not the log file this harness keeps.
start_gatehouse() {
    local engine=$1 port=$2 control=$3 log=$4 label=$5
    dotnet "$GATEWAY_DLL" gateway --config "$GATEWAY_CONFIG" --port "$port" \
        --control-port "$control" --listen 127.0.0.1 --Gatehouse:Gateway:Engine "$engine" \
        "${GATEWAY_EXTRA_ARGS[@]}" > >(cat >"$log") 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    wait_http "http://127.0.0.1:$control/readyz" 200 "$STARTED_PID" "$log" "$label control port"
    wait_http "http://127.0.0.1:$port/" 200 "$STARTED_PID" "$log" "$label (GET / with $HEADER_NAME: $SERVICE)" \
        -H "$HEADER_NAME: $SERVICE"
    # CPU and memory are read from this PID: it must be the gateway itself, not a shell around it.
    [[ $(<"/proc/$STARTED_PID/comm") == dotnet ]] || die "pid $STARTED_PID is '$(<"/proc/$STARTED_PID/comm")', not the gateway's dotnet process"
}

if ((GATEWAY)); then
    GATEWAY_CONFIG="$RUN_DIR/gatehouse.yaml"
    GATEWAY_LOG="$RUN_DIR/gatehouse.log"
    cat >"$GATEWAY_CONFIG" <<EOF
services:
  - name: $SERVICE
    policy:
      loadBalancer: { kind: roundRobin }
    nodes:
      - { id: b1, address: "http://127.0.0.1:$BACKEND_PORT_1" }
      - { id: b2, address: "http://127.0.0.1:$BACKEND_PORT_2" }
    apis:
      - { id: all, path: "/**" }
EOF
    # Named explicitly: `gatehouse` is the platform engine, `gatehouse-loop` (below) the loop engine, the default.
    start_gatehouse platform "$GATEWAY_PORT" "$CONTROL_PORT" "$GATEWAY_LOG" "Gatehouse"
    GATEWAY_PID=$STARTED_PID
    TARGETS+=(gatehouse)
fi

if ((GATEWAY)); then
    TARGET_PORT[gatehouse]=$GATEWAY_PORT
    PROXY_PIDS[gatehouse]=$GATEWAY_PID
fi

# :: Gatehouse on its own event-loop engine (same build, same config, Gatehouse:Gateway:Engine=loop) ---
if ((LOOP_PEER)); then
    LOOP_LOG="$RUN_DIR/gatehouse-loop.log"
    start_gatehouse loop "$LOOP_PORT" "$LOOP_CONTROL_PORT" "$LOOP_LOG" "Gatehouse (loop)"
    LOOP_PID=$STARTED_PID
    grep -q "Traffic engine 'loop' listening" "$LOOP_LOG" || die_with_log "$LOOP_LOG" "gatehouse-loop did not start its event loops"
    TARGETS+=(gatehouse-loop)
    TARGET_PORT[gatehouse-loop]=$LOOP_PORT
    PROXY_PIDS[gatehouse-loop]=$LOOP_PID
fi

# Every target must really answer each scenario before anything is timed: a proxy that returns errors
# fast would otherwise look like a fast proxy.
head -c 65536 /dev/zero | tr '\0' 'a' >"$RUN_DIR/post64k.bin"
for target in "${TARGETS[@]}"; do
    base="http://127.0.0.1:${TARGET_PORT[$target]}"
    size=$(curl -sS -m 10 -o /dev/null -w '%{http_code} %{size_download}' -H "$HEADER_NAME: $SERVICE" "$base/") || true
    [[ $size == "200 100" ]] || die "$target: GET / answered '$size' (expected status 200 and 100 bytes)"
    echo_size=$(curl -sS -m 10 -H "$HEADER_NAME: $SERVICE" -H 'Content-Type: application/octet-stream' \
        --data-binary "@$RUN_DIR/post64k.bin" "$base/echo-size") || true
    [[ $echo_size == 65536 ]] || die "$target: POST /echo-size answered '$echo_size' (expected 65536)"
done
echo "ready: backend :$BACKEND_PORT_1/:$BACKEND_PORT_2 (pid $BACKEND_PID), nginx :$NGINX_PORT (master $NGINX_PID, workers ${NGINX_WORKERS[*]})$( ((HAPROXY_PEER)) && echo ", haproxy :$HAPROXY_PORT (pid $HAPROXY_PID)")$( ((YARP_PEER)) && echo ", yarp :$YARP_PORT (pid $YARP_PID)")$( ((GATEWAY)) && echo ", gatehouse :$GATEWAY_PORT (pid $GATEWAY_PID)")$( ((LOOP_PEER)) && echo ", gatehouse-loop :$LOOP_PORT (pid $LOOP_PID)")"
echo

# ---------------------------------------------------------------------------------------------------
# Scenarios: id, label, connections, path, wrk script (empty for GET).
SCENARIOS=(get-c32 get-c256 post64k-c32)
declare -A SCENARIO_LABEL=([get-c32]="GET 100 B, wrk -t1 -c32" [get-c256]="GET 100 B, wrk -t1 -c256" [post64k-c32]="POST 64 KiB, wrk -t1 -c32")
declare -A SCENARIO_CONNS=([get-c32]=32 [get-c256]=256 [post64k-c32]=32)
declare -A SCENARIO_PATH=([get-c32]=/ [get-c256]=/ [post64k-c32]=/echo-size)
declare -A SCENARIO_SCRIPT=([get-c32]="" [get-c256]="" [post64k-c32]="$BENCH_DIR/post64k.lua")

RAW="$RUN_DIR/raw.tsv"
printf 'round\tscenario\ttarget\trps\tp50_us\tp99_us\trequests\tproxy_cpu_us_per_req\terrors\n' >"$RAW"

# Runs wrk once; prints "rps p50_us p99_us requests errors" parsed from its --latency output.
run_wrk() {
    local target=$1 scenario=$2 seconds=$3 out args=()
    args=(-t1 "-c${SCENARIO_CONNS[$scenario]}" "-d${seconds}s" --latency -H "$HEADER_NAME: $SERVICE")
    [[ -n ${SCENARIO_SCRIPT[$scenario]} ]] && args+=(-s "${SCENARIO_SCRIPT[$scenario]}")
    out=$(timeout $((seconds + 30)) wrk "${args[@]}" "http://127.0.0.1:${TARGET_PORT[$target]}${SCENARIO_PATH[$scenario]}" 2>&1) \
        || { echo "$out" >&2; die "wrk against $target ($scenario) failed"; }
    awk '
        function us(v) {
            if (v ~ /us$/) return v + 0
            if (v ~ /ms$/) return (v + 0) * 1000
            if (v ~ /m$/) return (v + 0) * 60000000
            if (v ~ /s$/) return (v + 0) * 1000000
            return v + 0
        }
        /Latency Distribution/ { dist = 1 }
        dist && $1 == "50%" { p50 = us($2) }
        dist && $1 == "99%" { p99 = us($2) }
        / requests in / { requests = $1 }
        /^Requests\/sec:/ { rps = $2 }
        /Non-2xx or 3xx responses:/ { errors += $NF }
        /Socket errors:/ { errors += $4 + $6 + $8 + $10 }
        END {
            if (requests == "" || rps == "") exit 1
            printf "%s %s %s %s %d\n", rps, p50, p99, requests, errors
        }' <<<"$out" || { echo "$out" >&2; die "could not parse wrk output ($target, $scenario)"; }
}

measure() {
    local round=$1 scenario=$2 target=$3 before after rps p50 p99 requests errors cpu="-"
    local -a pids
    read -ra pids <<<"${PROXY_PIDS[$target]}"
    ((${#pids[@]})) && before=$(cpu_ticks "${pids[@]}")
    read -r rps p50 p99 requests errors < <(run_wrk "$target" "$scenario" "$DURATION")
    if ((${#pids[@]})); then
        after=$(cpu_ticks "${pids[@]}")
        cpu=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.2f", (n > 0 ? t * 1e6 / hz / n : 0) }')
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$scenario" "$target" "$rps" "$p50" "$p99" "$requests" "$cpu" "$errors" >>"$RAW"
    printf '  round %d  %-12s %-10s %10.0f rps  p50 %7.0f us  p99 %8.0f us  proxy CPU %7s us/req  errors %s\n' \
        "$round" "$scenario" "$target" "$rps" "$p50" "$p99" "$cpu" "$errors"
}

# Warm-up: JIT tiering (and PGO) for the .NET processes, connection pools for everyone. Discarded.
if ((WARMUP > 0)); then
    echo "warming up (${WARMUP}s per target and scenario, discarded)..."
    for scenario in "${SCENARIOS[@]}"; do
        for target in "${TARGETS[@]}"; do
            run_wrk "$target" "$scenario" "$WARMUP" >/dev/null
        done
    done
fi

# ---------------------------------------------------------------------------------------------------
# Accounting (--account): where each process's time per request goes, to decide what the fast path must cut.
# Context switches and migrations are summed over every thread from /proc; system calls are counted by
# strace -c on a second, shorter run (strace slows the process many times over, so only its counts per
# request are read, never its times).
ctx_switches() {
    local pid
    for pid in "$@"; do cat /proc/"$pid"/task/*/status 2>/dev/null; done | awk '/ctxt_switches/ { n += $2 } END { print n + 0 }'
}
migrations() {
    local pid
    for pid in "$@"; do cat /proc/"$pid"/task/*/sched 2>/dev/null; done | awk '/^se.nr_migrations/ { n += $3 } END { print n + 0 }'
}
account_target() {
    local target=$1 pids=() cs0 cs1 mg0 mg1 t0 t1 rps p50 p99 requests errors sreq spid strace_out args=()
    if [[ $target == direct ]]; then pids=("$BACKEND_PID"); else read -ra pids <<<"${PROXY_PIDS[$target]}"; fi
    cs0=$(ctx_switches "${pids[@]}"); mg0=$(migrations "${pids[@]}"); t0=$(cpu_ticks "${pids[@]}")
    read -r rps p50 p99 requests errors < <(run_wrk "$target" get-c32 "$DURATION")
    cs1=$(ctx_switches "${pids[@]}"); mg1=$(migrations "${pids[@]}"); t1=$(cpu_ticks "${pids[@]}")
    strace_out="$RUN_DIR/strace-$target.txt"
    for pid in "${pids[@]}"; do args+=(-p "$pid"); done
    strace -f -c -o "$strace_out" "${args[@]}" 2>/dev/null & spid=$!
    sleep 1
    read -r _ _ _ sreq _ < <(run_wrk "$target" get-c32 3)
    kill -INT "$spid" 2>/dev/null; wait "$spid" 2>/dev/null || true
    awk -v target="$target" -v rps="$rps" -v n="$requests" -v cs=$((cs1 - cs0)) -v mg=$((mg1 - mg0)) \
        -v ticks=$((t1 - t0)) -v hz="$CLK_TCK" -v sreq="$sreq" -v errors="$errors" '
        /^[ ]*[0-9.]+[ ]+[0-9.]+/ && $NF != "total" { name[++k] = $NF; count[k] = $4 }
        $NF == "total" { total = $4 }
        END {
            for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (count[j] + 0 > count[i] + 0) {
                t = count[i]; count[i] = count[j]; count[j] = t; t = name[i]; name[i] = name[j]; name[j] = t }
            top = ""
            for (i = 1; i <= k && i <= 5; i++) top = top sprintf("%s %.2f  ", name[i], count[i] / sreq)
            printf "  %-10s %8.0f rps  CPU %6.2f us/req  ctx switches %5.2f/req  migrations %5.3f/req  syscalls %6.2f/req  errors %s\n",
                target, rps, ticks * 1e6 / hz / n, cs / n, mg / n, total / sreq, errors
            printf "  %-10s top system calls per request: %s\n", "", top
        }' "$strace_out"
}

if ((ACCOUNT)); then
    command -v strace >/dev/null || die "--account needs strace (Debian package strace)"
    echo "accounting: GET 100 B, wrk -t1 -c32, ${DURATION}s per target (then 3 s under strace -c)"
    for target in "${TARGETS[@]}"; do
        account_target "$target"
        sleep 1
    done
    exit 0
fi

echo "measuring..."
for ((round = 1; round <= ROUNDS; round++)); do
    for scenario in "${SCENARIOS[@]}"; do
        for target in "${TARGETS[@]}"; do
            measure "$round" "$scenario" "$target"
            # A breath between runs so TIME_WAIT sockets and GC of the previous target settle.
            sleep 1
        done
    done
done
echo

# ---------------------------------------------------------------------------------------------------
# Summary: per scenario and target the median over rounds of each number; ratios are computed per
# round (the three targets of one round ran back to back) and the median of those is shown.
awk -F '\t' -v rounds="$ROUNDS" -v duration="$DURATION" \
    -v labels="get-c32=${SCENARIO_LABEL[get-c32]};get-c256=${SCENARIO_LABEL[get-c256]};post64k-c32=${SCENARIO_LABEL[post64k-c32]}" '
    function median(list,    n, a, i, j, v) {
        n = split(list, a, " ")
        if (n == 0) return ""
        for (i = 2; i <= n; i++) {
            v = a[i] + 0
            for (j = i - 1; j >= 1 && a[j] + 0 > v; j--) a[j + 1] = a[j]
            a[j + 1] = v
        }
        return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function add(key, value) { values[key] = (key in values) ? values[key] " " value : value }
    function verdict(value, op, limit, errs) {
        if (value == "") return "n/a"
        if (errs > 0) return "INVALID (" errs " errors)"
        if (op == ">=") return value >= limit ? "MET" : "NOT MET"
        return value <= limit ? "MET" : "NOT MET"
    }
    function ratio_line(s, name, num, den, op, limit, errs,    r) {
        r = median(values[s, "ratio", num, den])
        if (r == "") return
        if (op == "") printf "  %-30s %7.2f\n", name, r
        else printf "  %-30s %7.2f   target %s %.2f   %s\n", name, r, op, limit, verdict(r, op, limit, errs)
    }
    BEGIN {
        n = split(labels, pairs, ";")
        for (i = 1; i <= n; i++) { split(pairs[i], kv, "="); label[kv[1]] = kv[2] }
        order[1] = "get-c32"; order[2] = "get-c256"; order[3] = "post64k-c32"
        ntargets = split("direct nginx haproxy yarp gatehouse gatehouse-loop", torder, " ")
    }
    NR == 1 { next }
    {
        round = $1; s = $2; t = $3
        present[s, t] = 1
        add(s SUBSEP "rps" SUBSEP t, $4)
        add(s SUBSEP "p50" SUBSEP t, $5)
        add(s SUBSEP "p99" SUBSEP t, $6)
        if ($8 != "-") add(s SUBSEP "cpu" SUBSEP t, $8)
        errors[s, t] += $9
        rps[round, s, t] = $4
    }
    END {
        for (r = 1; r <= rounds; r++)
            for (si = 1; si <= 3; si++) {
                s = order[si]
                for (a = 1; a <= ntargets; a++) for (b = 1; b <= ntargets; b++) {
                    if (a == b || !((r, s, torder[a]) in rps) || !((r, s, torder[b]) in rps)) continue
                    if (rps[r, s, torder[b]] > 0)
                        add(s SUBSEP "ratio" SUBSEP torder[a] SUBSEP torder[b], rps[r, s, torder[a]] / rps[r, s, torder[b]])
                }
            }
        for (si = 1; si <= 3; si++) {
            s = order[si]
            printf "== %s: median of %d round(s), %d s each ==\n", label[s], rounds, duration
            printf "  %-14s %12s %10s %10s %20s %8s\n", "target", "RPS", "p50 us", "p99 us", "proxy CPU us/req", "errors"
            for (ti = 1; ti <= ntargets; ti++) {
                t = torder[ti]
                if (!((s, t) in present)) continue
                cpu = median(values[s, "cpu", t])
                printf "  %-14s %12.0f %10.0f %10.0f %20s %8d\n", t, median(values[s, "rps", t]), median(values[s, "p50", t]),
                    median(values[s, "p99", t]), cpu == "" ? "-" : sprintf("%.2f", cpu), errors[s, t]
            }
            printf "  ratios (RPS, median of per-round ratios):\n"
            ge = errors[s, "gatehouse"]
            ratio_line(s, "gatehouse / direct", "gatehouse", "direct", "", 0, 0)
            if (s == "get-c32") {
                ratio_line(s, "gatehouse / nginx", "gatehouse", "nginx", ">=", 0.9, ge + errors[s, "nginx"])
                ratio_line(s, "gatehouse / yarp", "gatehouse", "yarp", ">=", 1.5, ge + errors[s, "yarp"])
                ratio_line(s, "gatehouse / haproxy", "gatehouse", "haproxy", "", 0, 0)
                # CPU and p99 are compared with nginx as medians of the whole run, not per round.
                gc = median(values[s, "cpu", "gatehouse"]); nc = median(values[s, "cpu", "nginx"])
                if (gc != "" && nc != "" && nc > 0)
                    printf "  %-30s %7.2f   target <= %.2f   %s\n", "proxy CPU gatehouse / nginx", gc / nc, 1.25,
                        verdict(gc / nc, "<=", 1.25, ge)
                gp = median(values[s, "p99", "gatehouse"]); np = median(values[s, "p99", "nginx"])
                if (gp != "" && np != "")
                    printf "  %-30s %7.0f   target <= %.0f (nginx + 500)   %s\n", "gatehouse p99 us", gp, np + 500,
                        verdict(gp, "<=", np + 500, ge)
            } else {
                ratio_line(s, "gatehouse / haproxy", "gatehouse", "haproxy", ">=", 1.0, ge + errors[s, "haproxy"])
                ratio_line(s, "gatehouse / nginx", "gatehouse", "nginx", "", 0, 0)
                ratio_line(s, "gatehouse / yarp", "gatehouse", "yarp", "", 0, 0)
            }
            ratio_line(s, "nginx / direct", "nginx", "direct", "", 0, 0)
            ratio_line(s, "haproxy / nginx", "haproxy", "nginx", "", 0, 0)
            ratio_line(s, "yarp / nginx", "yarp", "nginx", "", 0, 0)
            ratio_line(s, "gatehouse-loop / gatehouse", "gatehouse-loop", "gatehouse", "", 0, 0)
            ratio_line(s, "gatehouse-loop / nginx", "gatehouse-loop", "nginx", "", 0, 0)
            ratio_line(s, "gatehouse-loop / yarp", "gatehouse-loop", "yarp", "", 0, 0)
            ratio_line(s, "gatehouse-loop / haproxy", "gatehouse-loop", "haproxy", "", 0, 0)
            lc = median(values[s, "cpu", "gatehouse-loop"]); pc = median(values[s, "cpu", "gatehouse"])
            if (lc != "" && pc != "" && pc > 0) printf "  %-30s %7.2f\n", "proxy CPU loop / platform", lc / pc
            printf "\n"
        }
    }' "$RAW"

if [[ -n $RAW_OUT ]]; then
    cp "$RAW" "$RAW_OUT"
    echo "per-run measurements written to $RAW_OUT"
    echo
fi

# ---------------------------------------------------------------------------------------------------
# Streaming through Gatehouse: 1 GiB up, 1 GiB down, memory sampled every 100 ms, disk writes counted.
sample_rss() {
    local pid=$1 out=$2
    while rss_kib "$pid" >>"$out" 2>/dev/null; do
        sleep 0.1
    done
}

# Runs the transfer command given as arguments and sets BASELINE_KIB, PEAK_KIB and WRITTEN_BYTES around
# it; the transfer's own output goes to $RUN_DIR/transfer.out.
around_transfer() {
    local samples="$RUN_DIR/rss.samples" io_before io_after sampler
    : >"$samples"
    BASELINE_KIB=$(rss_kib "$STREAM_PID")
    io_before=$(write_bytes "$STREAM_PID")
    sample_rss "$STREAM_PID" "$samples" &
    sampler=$!
    PIDS+=("$sampler")
    "$@" >"$RUN_DIR/transfer.out" 2>&1 || true
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    io_after=$(write_bytes "$STREAM_PID")
    PEAK_KIB=$(awk -v p="$BASELINE_KIB" '$1 + 0 > p { p = $1 + 0 } END { print p }' "$samples")
    WRITTEN_BYTES=$((io_after - io_before))
}

upload() {
    # -T - streams stdin with chunked encoding (PUT); "Expect:" skips the 100-continue round trip.
    head -c "$STREAM_BYTES" /dev/zero \
        | curl -sS --max-time "$STREAM_TIMEOUT" -T - -H 'Expect:' -H "$HEADER_NAME: $SERVICE" \
            -w '\nstatus=%{http_code} seconds=%{time_total}\n' "http://127.0.0.1:$STREAM_PORT/upload"
}

download() {
    curl -sS --max-time "$STREAM_TIMEOUT" -o /dev/null -H "$HEADER_NAME: $SERVICE" \
        -w 'status=%{http_code} bytes=%{size_download} seconds=%{time_total}\n' \
        "http://127.0.0.1:$STREAM_PORT/download?bytes=$STREAM_BYTES"
}

stream_report() {
    local name=$1 baseline=$2 peak=$3 written=$4 ok=$5 detail=$6 seconds
    seconds=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$RUN_DIR/transfer.out" | tail -n 1)
    awk -v name="$name" -v b="$baseline" -v p="$peak" -v w="$written" -v ok="$ok" -v detail="$detail" -v s="${seconds:-0}" -v bytes="$STREAM_BYTES" 'BEGIN {
        growth = (p - b) / 1024
        printf "  %-9s %-48s %6.1f s  %7.0f MiB/s\n", name, detail, s, (s > 0 ? bytes / 1048576 / s : 0)
        printf "            RSS baseline %7.1f MiB   peak %7.1f MiB   growth %6.1f MiB   target <= 32 MiB   %s\n",
            b / 1024, p / 1024, growth, ok ? (growth <= 32 ? "MET" : "NOT MET") : "INVALID (transfer failed)"
        printf "            disk write_bytes during transfer: %d bytes   target 0   %s\n",
            w, ok ? (w == 0 ? "MET" : "NOT MET") : "INVALID (transfer failed)"
    }'
}

stream_through() {
    STREAM_PORT=$2 STREAM_PID=$3
    echo "== streaming 1 GiB through $1 (VmRSS sampled every 100 ms) =="
    around_transfer upload
    counted=$(head -n 1 "$RUN_DIR/transfer.out")
    status=$(sed -n 's/.*status=\([0-9]*\).*/\1/p' "$RUN_DIR/transfer.out")
    ok=0
    [[ $status == 200 && $counted == "$STREAM_BYTES" ]] && ok=1
    ((ok)) || { echo "  upload failed:" >&2; cat "$RUN_DIR/transfer.out" >&2; }
    stream_report upload "$BASELINE_KIB" "$PEAK_KIB" "$WRITTEN_BYTES" "$ok" "(status ${status:-none}, backend counted ${counted:-nothing})"

    around_transfer download
    status=$(sed -n 's/.*status=\([0-9]*\).*/\1/p' "$RUN_DIR/transfer.out")
    got=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' "$RUN_DIR/transfer.out")
    ok=0
    [[ $status == 200 && $got == "$STREAM_BYTES" ]] && ok=1
    ((ok)) || { echo "  download failed:" >&2; cat "$RUN_DIR/transfer.out" >&2; }
    stream_report download "$BASELINE_KIB" "$PEAK_KIB" "$WRITTEN_BYTES" "$ok" "(status ${status:-none}, received ${got:-nothing} bytes)"
    echo
}

if ((STREAM)); then
    stream_through gatehouse "$GATEWAY_PORT" "$GATEWAY_PID"
    ((LOOP_PEER)) && stream_through gatehouse-loop "$LOOP_PORT" "$LOOP_PID"
fi

if ((GATEWAY)); then
    # Per-request log lines cost CPU on the request path; their volume is worth seeing next to the numbers.
    echo "gatehouse console output during the run: $(wc -l <"$GATEWAY_LOG") lines, $(($(wc -c <"$GATEWAY_LOG") / 1024)) KiB"
fi

# Processes that died under load are a result too: say so rather than report numbers from a corpse.
for pid in "$BACKEND_PID" "$NGINX_PID" ${HAPROXY_PID:+"$HAPROXY_PID"} ${YARP_PID:+"$YARP_PID"} ${GATEWAY_PID:+"$GATEWAY_PID"} ${LOOP_PID:+"$LOOP_PID"}; do
    kill -0 "$pid" 2>/dev/null || die "process $pid exited during the run"
done
echo "done."
