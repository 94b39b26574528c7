#!/usr/bin/env bash
# Issue 10's control-plane targets, measured from outside the agent: N Services from manifests on loopback.
#
# What it does, every address on loopback (127.0.0.0/8), nothing leaving this machine:
#   1. Two backends in one python3 process (scale.py serve): 127.0.0.1:P says "a", 127.0.0.2:P says "b".
#   2. Manifests into a temp dir (scale.py gen): Service i has ClusterIP 127.(VIP_OCTET + i / 62500).x.y, one TCP
#      port SERVICE_PORT, and one EndpointSlice with one endpoint, backend a; PER_FILE Services (and their slices)
#      to a file, except the slice of the edited Service (number EDIT_SERVICE), which is alone in edit-slice.yaml.
#   3. A base agent with BASE_SERVICES Services: resident memory once its last Service serves; then it is stopped.
#   4. The agent with SERVICES Services (`java -jar proxy-agent.jar --proxy-mode=userspace --manifests DIR`):
#      - start-up: seconds from starting the JVM until a connection to the LAST Service's ClusterIP is answered by
#        a backend (polled every 50 ms, each attempt bounded by 1 s), and until every ClusterIP has a listening
#        socket (`ss`, polled every 0.2 s; the agent binds in no particular order); VmRSS and VmHWM
#        (/proc/PID/status) and the open descriptors (/proc/PID/fd) at that moment; INFO and WARN lines logged up to the end of the first
#        sync (its "sync:" summary line); bind failures (`userspace_proxy_listener_bind_failures_total`, and the
#        log's "cannot listen" and "Too many open files" lines);
#      - /metrics SCRAPES times while every Service but the probed last one is idle (curl -w: bytes, seconds;
#        lines counted);
#      - EDITS edits of edit-slice.yaml (write-then-rename), the endpoint moving a -> b -> a ..., each EDIT_GAP
#        seconds after the previous edit's sync was seen (clear of --min-sync-period, 1 s); per edit, the
#        agent's own sync duration, exact from the delta of `kubeproxy_sync_proxy_rules_duration_seconds`' _sum
#        when its _count moved by exactly one (a window holding another sync, periodic or retry, is reported and
#        measured again, at most EDITS extra times), and the time from the rename to the first new connection
#        answered by the new backend (polled every 2 ms);
#      - a sweep: one connection to every Service (64 at a time, 3 s to connect, 1 s to answer), counted served or
#        why not (it stops early when none of the first 1,000 is served);
#      - resident memory and descriptors again at the end.
#   5. One summary table on stdout, beside issue 10's targets (progress on stderr).
# Exits non-zero only when the harness itself fails (a tool missing, an address in use, a backend that does not
# start); an agent that misses a target, fails to bind or never serves is reported in the table, with exit 0.
#
# Open files: this machine's limit is 20,000 (soft and hard) and cannot be raised. The agent binds one listening
# socket per event loop per TCP Service port (one loop per core on epoll), so with 2 cores 10,000 Services want
# 20,000 descriptors for listeners alone: past the limit, binds fail and are reported, not hidden. The script says
# the limit it runs under, and python's sweep holds at most 64 connections.
#
# Usage (from anywhere; root is not needed for loopback, but the numbers in BENCHMARKS.md were taken as root):
#   benchmarks/scale/run.sh
# Environment (defaults):
#   SERVICES=10000 BASE_SERVICES=10 EDITS=7 EDIT_GAP=2 (seconds) SCRAPES=5 EDIT_SERVICE=SERVICES/2 PER_FILE=100
#   VIP_OCTET=1 (ClusterIPs from 127.1.0.1) SERVICE_PORT=8080 STARTUP_TIMEOUT=300 (seconds, per agent)
#   AGENT_JAR=proxy-agent/target/proxy-agent.jar   JAVA="$JAVA_HOME or the java on PATH" (a JDK home or a binary)
#   AGENT_JAVA_OPTS: deploy/Dockerfile's JVM flags (a flag this JVM does not know is left out, and said so)
#   AGENT_MAX_RAM=512m: -XX:MaxRAM, standing in for the DaemonSet's memory limit ("" leaves the machine's memory)
#   AGENT_ARGS: more agent flags, e.g. AGENT_ARGS="--min-sync-period=0"
#   KEEP=DIR: copy the manifests' first file, the agents' logs, one /metrics scrape and the summary into DIR
# Time: under a minute at 100 Services, about 2 minutes at 10,000 on 2 shared cores (3 when the agent stops serving).
set -euo pipefail

SERVICES=${SERVICES:-10000}
BASE_SERVICES=${BASE_SERVICES:-10}
EDITS=${EDITS:-7}
EDIT_GAP=${EDIT_GAP:-2}
SCRAPES=${SCRAPES:-5}
EDIT_SERVICE=${EDIT_SERVICE:-$((SERVICES / 2))}
PER_FILE=${PER_FILE:-100}
VIP_OCTET=${VIP_OCTET:-1}
SERVICE_PORT=${SERVICE_PORT:-8080}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-300}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HELPER="$ROOT/benchmarks/scale/scale.py"
AGENT_JAR=${AGENT_JAR:-"$ROOT/proxy-agent/target/proxy-agent.jar"}
JAVA=${JAVA:-${JAVA_HOME:-java}}
IMAGE_JAVA_OPTS=$(sed -n 's/^ENV JAVA_TOOL_OPTIONS="\(.*\)"$/\1/p' "$ROOT/deploy/Dockerfile")
AGENT_JAVA_OPTS=${AGENT_JAVA_OPTS-$IMAGE_JAVA_OPTS}
AGENT_MAX_RAM=${AGENT_MAX_RAM-512m}
AGENT_ARGS=${AGENT_ARGS:-}
KEEP=${KEEP:-}
WORK=$(mktemp -d /tmp/scale-bench.XXXXXX)
PIDS=()
log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Stops only the processes this script started (by PID): TERM, up to 10 s to exit, then KILL.
cleanup() {
  local pid tries
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    tries=100
    while kill -0 "$pid" 2>/dev/null && ((tries-- > 0)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

helper() { python3 "$HELPER" "$@"; }

# stop PID: TERM, up to 15 s for the agent to drain and exit, then KILL.
stop() {
  local tries=150
  kill "$1" 2>/dev/null || true
  while kill -0 "$1" 2>/dev/null && ((tries-- > 0)); do sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# free_port: a TCP port free on 127.0.0.1 now (the agent binds it a moment later; a race there fails loudly).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# status_kib PID FIELD: a field of /proc/PID/status in KiB, or "n/a" once the process is gone.
status_kib() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null || echo n/a; }
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
mib() { [[ $1 == n/a ]] && echo n/a || awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }

# ------------------------------------------------------------------------------------------------ checks
command -v python3 >/dev/null || die "python3 is needed (backends, manifests, probes)"
command -v curl >/dev/null || die "curl is needed (/metrics scrapes)"
[[ -f $AGENT_JAR ]] || die "no agent jar at $AGENT_JAR: build it with mvn -B -q -o -DskipTests package"
if [[ -d $JAVA ]]; then JAVA_BIN="$JAVA/bin/java"; else JAVA_BIN=$(command -v "$JAVA" || echo "$JAVA"); fi
[[ -x $JAVA_BIN ]] || die "no java at $JAVA_BIN (JAVA=$JAVA)"
((SERVICES >= 1 && SERVICES <= 62500 * 8)) || die "SERVICES=$SERVICES (expected: 1 to 500000)"
((BASE_SERVICES >= 1 && EDIT_SERVICE >= 0 && EDIT_SERVICE < SERVICES)) \
  || die "BASE_SERVICES=$BASE_SERVICES EDIT_SERVICE=$EDIT_SERVICE (expected: >= 1; 0 to SERVICES - 1)"
LAST_OCTET=$((VIP_OCTET + (SERVICES - 1) / 62500))
((VIP_OCTET >= 1 && LAST_OCTET <= 254)) || die "VIP_OCTET=$VIP_OCTET: ClusterIPs would leave 127.1-254.x.y"
# Another process listening in our ClusterIP range on SERVICE_PORT would answer for the agent: refuse to measure.
in_use=$(ss -Htln | awk -v p=":$SERVICE_PORT" -v lo="$VIP_OCTET" -v hi="$LAST_OCTET" '
  { sub(/^\[::ffff:/, "", $4); split($4, a, "."); if (a[1] == "127" && a[2] + 0 >= lo && a[2] + 0 <= hi && substr($4, length($4) - length(p) + 1) == p) n++ }
  END { print n + 0 }')
((in_use == 0)) || die "$in_use sockets already listen on 127.$VIP_OCTET-$LAST_OCTET.*:$SERVICE_PORT (another run?);" \
  "pick another VIP_OCTET or SERVICE_PORT"

OPTS=()
for opt in ${AGENT_MAX_RAM:+-XX:MaxRAM=$AGENT_MAX_RAM} $AGENT_JAVA_OPTS; do
  if "$JAVA_BIN" "$opt" -version >/dev/null 2>&1; then OPTS+=("$opt"); else log "$JAVA_BIN does not take $opt: left out"; fi
done
JDK=$("$JAVA_BIN" -version 2>&1 | sed -n '1s/^[^"]*"\([^"]*\)".*/\1/p')
NOFILE=$(ulimit -n)
log "JDK $JDK, JVM flags: ${OPTS[*]:-none}; open-files limit here: $NOFILE (soft), $(ulimit -Hn) (hard)"
log "$(nproc) cores: the agent binds one socket per event loop per TCP Service port, so $SERVICES Services want about" \
  "$((SERVICES * $(nproc))) descriptors for listeners"

# ------------------------------------------------------------------------------------------------ backends
python3 "$HELPER" serve "$WORK/backend.port" 2>"$WORK/backend.log" &  # not through helper(): $! is python
PIDS+=($!)
for _ in $(seq 100); do [[ -s $WORK/backend.port ]] && break; kill -0 "${PIDS[-1]}" 2>/dev/null || break; sleep 0.1; done
[[ -s $WORK/backend.port ]] || { cat "$WORK/backend.log" >&2; die "the backends did not start within 10 s"; }
BACKEND_PORT=$(cat "$WORK/backend.port")
log "backends: 127.0.0.1:$BACKEND_PORT says a, 127.0.0.2:$BACKEND_PORT says b"

# ------------------------------------------------------------------------------------------------ agents
# run_agent NAME N: generates N Services into $WORK/NAME, starts the agent on them and waits (STARTUP_TIMEOUT) for
# the last one to serve. Sets AGENT_PID, METRICS_URL, STARTUP (seconds or a reason), and RSS, HWM, FDS then.
run_agent() {
  local name=$1 n=$2 dir="$WORK/$1" metrics_port healthz_port t0 rc=0 edit=$EDIT_SERVICE
  mkdir -p "$dir"
  ((edit < n)) || edit=0
  helper gen "$dir" "$n" "$VIP_OCTET" "$SERVICE_PORT" "$BACKEND_PORT" "$PER_FILE" "$edit" \
    || die "could not write the manifests of $name"
  [[ $(cat "$dir"/*.yaml | grep -c '^kind: Service$') == "$n" ]] || die "the manifests of $name do not hold $n Services"
  metrics_port=$(free_port) healthz_port=$(free_port)
  METRICS_URL="http://127.0.0.1:$metrics_port/metrics"
  log "($name) $n Services in $(find "$dir" -name '*.yaml' | wc -l) files; starting the agent"
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086 # AGENT_ARGS are words
  "$JAVA_BIN" "${OPTS[@]}" -jar "$AGENT_JAR" --proxy-mode=userspace --manifests "$dir" \
    --metrics-bind-address="127.0.0.1:$metrics_port" --healthz-bind-address="127.0.0.1:$healthz_port" \
    --drain-timeout=2s $AGENT_ARGS >"$WORK/$name.log" 2>&1 &
  AGENT_PID=$!
  PIDS+=("$AGENT_PID")
  STARTUP=$(helper wait-served "$(helper vip $((n - 1)) "$VIP_OCTET")" "$SERVICE_PORT" "$t0" \
    "$(awk -v t="$t0" -v s="$STARTUP_TIMEOUT" 'BEGIN {printf "%.3f", t + s}')" "$AGENT_PID") || rc=$?
  case $rc in
    0) log "($name) the last Service served after $STARTUP s" ;;
    1) STARTUP="not served within ${STARTUP_TIMEOUT}s"; log "($name) $STARTUP" ;;
    *) STARTUP="agent exited"; log "($name) the agent exited before its last Service served:"
       tail -n 20 "$WORK/$name.log" >&2 ;;
  esac
  wait_all_listening "$n" "$t0"
  RSS=$(status_kib "$AGENT_PID" VmRSS) HWM=$(status_kib "$AGENT_PID" VmHWM) FDS=$(fds "$AGENT_PID")
  log "($name) every ClusterIP listening: $ALL_LISTENING; VmRSS $(mib "$RSS") MiB, $FDS descriptors"
}

# listening: how many of our ClusterIPs have a listening TCP socket on SERVICE_PORT (sockets per address vary; on
# epoll the agent's are IPv6 sockets bound to the v4-mapped address, which ss shows as [::ffff:127.1.0.1]:8080).
listening() {
  ss -Htln "sport = :$SERVICE_PORT" | awk -v lo="$VIP_OCTET" -v hi="$LAST_OCTET" \
    '{ sub(/^\[::ffff:/, "", $4); split($4, a, "."); if (a[1] == "127" && a[2] + 0 >= lo && a[2] + 0 <= hi) print $4 }' | sort -u | wc -l
}

# wait_all_listening N T0: sets ALL_LISTENING to the seconds from T0 until all N ClusterIPs listen (the last
# Service's answer above only shows its own listener: the agent binds in no particular order), or why not: the
# agent exited, STARTUP_TIMEOUT passed, or the count stalled for 30 s.
wait_all_listening() {
  local n=$1 t0=$2 count last=-1 since=$EPOCHREALTIME
  while :; do
    count=$(listening)
    if ((count == n)); then
      ALL_LISTENING=$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN {printf "%.3f s", a - b}'); return
    fi
    kill -0 "$AGENT_PID" 2>/dev/null || { ALL_LISTENING="agent exited ($count of $n listening)"; return; }
    if awk -v a="$EPOCHREALTIME" -v b="$t0" -v s="$STARTUP_TIMEOUT" 'BEGIN {exit !(a - b > s)}'; then
      ALL_LISTENING="not within ${STARTUP_TIMEOUT}s ($count of $n listening)"; return
    fi
    if ((count != last)); then
      last=$count since=$EPOCHREALTIME
    elif awk -v a="$EPOCHREALTIME" -v b="$since" 'BEGIN {exit !(a - b > 30)}'; then
      ALL_LISTENING="stalled at $count of $n listening (no change for 30 s)"; return
    fi
    sleep 0.2
  done
}

# startup_lines LOG: INFO and WARN lines up to the end of the first sync (its summary), waited for up to 30 s.
startup_lines() {
  local line=0
  for _ in $(seq 300); do
    line=$(grep -n -m1 ' INFO  Proxier - sync (full): ' "$1" | cut -d: -f1 || true)
    [[ -n $line ]] && break
    kill -0 "$AGENT_PID" 2>/dev/null || break
    sleep 0.1
  done
  FIRST_SYNC="none logged by 30 s after start-up was measured"
  [[ -n $line ]] || line=$(wc -l <"$1")
  INFO_LINES=$(head -n "$line" "$1" | grep -c '^[^ ]* INFO ' || true)
  WARN_LINES=$(head -n "$line" "$1" | grep -c '^[^ ]* WARN ' || true)
  if sed -n "${line}p" "$1" | grep -q ' INFO  Proxier - sync (full): '; then FIRST_SYNC=$(sed -n "${line}s/.* - //p" "$1"); fi
}

metric() { helper metrics "$METRICS_URL" 2>/dev/null | sed -n "s/^$1=//p" | grep . || echo n/a; }

BASE_RSS=n/a BASE_STARTUP=n/a BASE_LISTENING=n/a
if ((BASE_SERVICES < SERVICES)); then
  run_agent base "$BASE_SERVICES"
  BASE_RSS=$RSS BASE_STARTUP=$STARTUP BASE_LISTENING=$ALL_LISTENING
  [[ -z $KEEP ]] || { mkdir -p "$KEEP"; cp "$WORK/base.log" "$KEEP/agent-base.log"; }
  stop "$AGENT_PID"
fi

run_agent full "$SERVICES"
FULL_PID=$AGENT_PID
startup_lines "$WORK/full.log"
STARTUP_RSS=$RSS STARTUP_HWM=$HWM STARTUP_FDS=$FDS
AGENT_LIMIT=$(awk '/^Max open files/ {print $4 " soft, " $5 " hard"}' "/proc/$FULL_PID/limits" 2>/dev/null || echo n/a)
BIND_FAILURES=$(metric bind_failures)
CANNOT_LISTEN=$(grep -c 'cannot listen on' "$WORK/full.log" || true)
EMFILE=$(grep -c 'Too many open files' "$WORK/full.log" || true)
log "($SERVICES) first sync: $FIRST_SYNC"
log "($SERVICES) INFO lines $INFO_LINES, WARN lines $WARN_LINES, bind failures $BIND_FAILURES (metric)," \
  "'cannot listen' $CANNOT_LISTEN, 'Too many open files' $EMFILE (log lines); agent limit: $AGENT_LIMIT"

# ------------------------------------------------------------------------------------------------ /metrics, idle
SCRAPE_ROWS=()
for i in $(seq "$SCRAPES"); do
  if out=$(curl -sS --max-time 60 -o "$WORK/metrics.txt" -w '%{http_code} %{size_download} %{time_total}' \
      "$METRICS_URL" 2>&1); then
    read -r code bytes seconds <<<"$out"
    lines=$(wc -l <"$WORK/metrics.txt")
    SCRAPE_ROWS+=("$bytes $lines $seconds")
    log "scrape $i: HTTP $code, $bytes bytes, $lines lines, $seconds s"
  else
    log "scrape $i failed: $out"
  fi
done
[[ -z $KEEP || ! -s $WORK/metrics.txt ]] || cp "$WORK/metrics.txt" "$KEEP/metrics.txt"

# ------------------------------------------------------------------------------------------------ edits
EDIT_VIP=$(helper vip "$EDIT_SERVICE" "$VIP_OCTET")
log "editing the slice of Service $EDIT_SERVICE ($EDIT_VIP:$SERVICE_PORT) $EDITS times"
if kill -0 "$FULL_PID" 2>/dev/null && timeout $((EDITS * 2 * 60)) python3 "$HELPER" edits "$METRICS_URL" \
    "$WORK/full" "$BACKEND_PORT" "$EDIT_VIP" "$SERVICE_PORT" "$EDITS" "$EDIT_GAP" >"$WORK/edits.txt" 2>"$WORK/edits.log"; then
  sed 's/^/  /' "$WORK/edits.txt" >&2
else
  log "the edits could not be measured:"; cat "$WORK/edits.log" "$WORK/edits.txt" >&2 2>/dev/null || true
fi
edit_value() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" "$WORK/edits.txt" 2>/dev/null | tail -n1 | grep . || echo n/a; }

# ------------------------------------------------------------------------------------------------ sweep, end
log "sweep: one connection to each of the $SERVICES Services"
timeout $((SERVICES / 10 + 120)) python3 "$HELPER" sweep "$SERVICES" "$VIP_OCTET" "$SERVICE_PORT" \
  >"$WORK/sweep.txt" 2>&1 || log "the sweep did not finish: $(tail -n 3 "$WORK/sweep.txt")"
SWEEP=$(paste -sd' ' "$WORK/sweep.txt")
log "sweep: $SWEEP"
sweep_value() { sed -n "s/^$1=//p" "$WORK/sweep.txt" | grep . || echo n/a; }
NO_ANSWER=$(awk -F= '$1 == "closed_unanswered" || $1 == "answer_timeout" {n += $2; seen = 1} END {print seen ? n : "n/a"}' \
  "$WORK/sweep.txt")
END_RSS=$(status_kib "$FULL_PID" VmRSS) END_HWM=$(status_kib "$FULL_PID" VmHWM) END_FDS=$(fds "$FULL_PID")
END_BIND_FAILURES=$(metric bind_failures)
END_SYNCS=$(grep -c ' INFO  Proxier - sync (' "$WORK/full.log" || true)
FAILED_SYNCS=$(grep -c ' ERROR SyncRunner - sync failed' "$WORK/full.log" || true)
LOG_SIZE="$(wc -l <"$WORK/full.log") lines, $(($(stat -c %s "$WORK/full.log") / 1048576)) MiB"
EDIT_NOTE=$(grep -m1 'stopped\|aborted' "$WORK/edits.txt" 2>/dev/null || true)
ALIVE=$(kill -0 "$FULL_PID" 2>/dev/null && echo yes || echo "no (exited)")

# ------------------------------------------------------------------------------------------------ summary
per_service=n/a
if [[ $BASE_RSS != n/a && $STARTUP_RSS != n/a ]]; then
  per_service=$(awk -v a="$BASE_RSS" -v b="$STARTUP_RSS" -v n="$((SERVICES - BASE_SERVICES))" \
    'BEGIN {printf "%.1f", (b - a) / n}')
fi
scrape_stats() {
  ((${#SCRAPE_ROWS[@]})) || { echo "n/a (every scrape failed)"; return; }
  printf '%s\n' "${SCRAPE_ROWS[@]}" | sort -k3 -g | awk '
    { b[NR] = $1; l[NR] = $2; t[NR] = $3 }
    END { m = int((NR + 1) / 2); printf "%.2f MB, %d lines; %.0f ms median, %.0f-%.0f ms (%d scrapes)",
          b[m] / 1e6, l[m], t[m] * 1000, t[1] * 1000, t[NR] * 1000, NR }'
}

{
  echo
  echo "## Issue 10 scale benchmark: $SERVICES Services ($(date -u +%FT%TZ), $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo
  echo "JDK $JDK; JVM flags: ${OPTS[*]:-none}; agent args: --proxy-mode=userspace --manifests DIR ${AGENT_ARGS:-(defaults)}"
  echo "$(nproc) cores, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); open-files limit of the agent: $AGENT_LIMIT"
  echo
  echo "| measure | value | issue 10 target |"
  echo "| --- | --- | --- |"
  echo "| start-up: JVM start to the last Service served | $STARTUP s (base, $BASE_SERVICES Services: $BASE_STARTUP s) | 18,000 Services within 60 s |"
  echo "| start-up: JVM start to every ClusterIP listening | $ALL_LISTENING (base: $BASE_LISTENING) | |"
  echo "| Services answering in the sweep (after the edits) | $(sweep_value served) of $SERVICES (refused $(sweep_value refused), connect timeout $(sweep_value connect_timeout), connect error $(sweep_value connect_error), no answer $NO_ANSWER, not tried $(sweep_value not_tried)) | all |"
  echo "| listener bind failures (metric, at start-up / end) | $BIND_FAILURES / $END_BIND_FAILURES; log: $CANNOT_LISTEN 'cannot listen', $EMFILE 'Too many open files' | 0 |"
  echo "| open descriptors of the agent (every ClusterIP listening / end) | $STARTUP_FDS / $END_FDS (limit $NOFILE) | |"
  echo "| resident memory once every ClusterIP listens (VmRSS; VmHWM) | $(mib "$STARTUP_RSS") MiB; $(mib "$STARTUP_HWM") MiB (base: $(mib "$BASE_RSS") MiB) | |"
  echo "| resident memory per Service beyond the base | $per_service KiB | < 8 KiB beyond a 200 MiB base |"
  echo "| resident memory at the end (VmRSS; VmHWM) | $(mib "$END_RSS") MiB; $(mib "$END_HWM") MiB | |"
  echo "| INFO / WARN lines to the end of the first sync | $INFO_LINES / $WARN_LINES | one summary per sync |"
  echo "| one-edit sync (agent's histogram), p50 / max | $(edit_value sync_p50_ms) / $(edit_value sync_max_ms) ms ($(edit_value edits_counted) edits; $(edit_value windows_with_other_syncs) windows with another sync) | < 5 ms at 10,000 |"
  echo "| edit to first connection on the new endpoint, p50 / max | $(edit_value traffic_p50_ms) / $(edit_value traffic_max_ms) ms | < 1,500 ms |"
  echo "| /metrics, idle | $(scrape_stats) | < 2 MB, < 250 ms |"
  echo "| syncs logged / failed in the whole run; agent alive at the end | $END_SYNCS / $FAILED_SYNCS; $ALIVE | |"
  echo "| the agent's log over the whole run | $LOG_SIZE | |"
  echo
  echo "First sync: $FIRST_SYNC"
  [[ -z $EDIT_NOTE ]] || echo "Edits: $EDIT_NOTE"
} | tee "$WORK/summary.md"
if [[ -n $KEEP ]]; then
  mkdir -p "$KEEP"
  cp "$WORK/summary.md" "$WORK/edits.txt" "$WORK/sweep.txt" "$KEEP/" 2>/dev/null || true
  # At most the first 20,000 and the last 2,000 lines: a failing agent can log gigabytes.
  if (($(wc -l <"$WORK/full.log") > 22000)); then
    { head -n 20000 "$WORK/full.log"; echo "[... $LOG_SIZE in all; cut by run.sh ...]"; tail -n 2000 "$WORK/full.log"; } \
      >"$KEEP/agent-full.log"
  else
    cp "$WORK/full.log" "$KEEP/agent-full.log"
  fi
  cp "$WORK/full/services-00000.yaml" "$WORK/full/edit-slice.yaml" "$KEEP/"
  log "kept in $KEEP"
fi
stop "$FULL_PID"
