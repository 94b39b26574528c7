#!/usr/bin/env bash
# End-to-end comparison of the same client load through four kinds of path to the same pods:
#   (a) direct     the pods' own addresses (routing through the node only; the client splits HTTP loads over both
#                  pods itself, iperf3 goes to pod1)
#   (b) iptables   a ClusterIP DNATed by rules laid out as kube-proxy's iptables mode writes them
#   (c) agent      a ClusterIP served by our agent (proxy-agent/target/proxy-agent.jar), once per JVM in JAVA
#   (d) haproxy    a ClusterIP served by HAProxy in TCP mode with splice FORCED both ways (`option splice-request`,
#                  `option splice-response`) and `nbthread 2`: the strongest userspace L4 peer (when installed)
#
# Topology, all inside network namespaces this script creates and removes on exit (nothing leaves them):
#
#   client 10.200.1.2 --veth-- 10.200.1.1  node  10.200.2.1 --veth-- 10.200.2.2 pod1 (nginx :80, iperf3 :5201)
#                                                10.200.3.1 --veth-- 10.200.3.2 pod2 (nginx :80)
#   VIPs 10.200.100.0/24 are routed from the client via the node: .10 iptables, .20 + i the agent on the i-th JVM
#   of JAVA, .30 HAProxy. Services: web 80/TCP -> pod1:80, pod2:80; iperf 5201/TCP+UDP -> pod1:5201 (iperf3 needs
#   all of a test's connections on one server, so its service has one endpoint).
#
# Loads, each bounded by DURATION seconds; the same warm-up (every load of LOADS for WARMUP seconds, results thrown
# away, in two rounds of half the time) runs against every target before its first measurement, so the agent's JIT
# and every peer start warm (15 s per load by default: after 5 s the JIT compilers still took 9 % of the agent's CPU
# in the first connection window; the "JVM's collector and JIT threads" rows show how warm each window really was):
#   tcp    TCP bulk throughput, iperf3, 1 and 4 streams
#   http   keep-alive requests: wrk, 2 threads x 64 connections, p50/p99 latency, the client's TCP retransmits
#   conn   new connections: wrk with "Connection: close" (one request per connection), 2 x CONN_CONNECTIONS, the
#          client's SYN retransmits (each one stalled a connection for a second or more; wrk's latency starts
#          after the connect, so only this count shows such stalls)
#   udp    UDP datagrams: iperf3 -u at a bounded offered rate (UDP_RATE bit/s of UDP_LEN-byte payloads), loss
#          as the receiver counts it, and how much of it a full receive buffer dropped at the proxy (the node
#          namespace's Udp RcvbufErrors) and at the pod (the pod's); for the agent, the share of the datagrams it
#          sent in GSO runs (userspace_proxy_udp_gso_datagrams_total); HAProxy has no UDP
# For the agent and HAProxy the proxy's own CPU is measured over each load window: utime + stime of its process
# (all threads) from /proc/<pid>/stat, as cores = CPU seconds / wall seconds, and divided by the load's rate
# (cores per Gbit/s, per 10,000 req/s, per 1,000 connections/s, per 100,000 datagrams/s). DNAT's cost is softirq
# time in the kernel, not attributable to a process: its CPU cells say n/a. So for every target, DNAT and direct
# included, the whole machine's busy time over the window is measured too (every core's wall time less the idle
# and iowait time of /proc/stat) and divided by the same rate: what the path costs the node with the load tools
# and the pods' servers, which are the same for every target, so the differences between targets are the path's.
# With REPEAT=N every target is measured N times (round-robin over the targets); each cell is the median, with
# [min-max] beside it, and every ratio is between medians of the same invocation.
#
# Usage (root, from anywhere): benchmarks/e2e/run.sh
# Environment (defaults):
#   DURATION=10 WARMUP=15 REPEAT=1 LOADS="tcp http conn udp" TARGETS="direct iptables agent haproxy"
#   UDP_RATE=64M UDP_LEN=64 (125,000 datagrams/s offered) CONN_CONNECTIONS=64
#   AGENT_JAR=proxy-agent/target/proxy-agent.jar: one or more agent jars, each measured as an agent of its own on
#     every JVM, flag set and transport: an A/B of two builds in one invocation, e.g.
#     AGENT_JAR="/tmp/before.jar /tmp/after.jar" (copy each build's jar out of target/ first)
#   JAVA="$JAVA_HOME or the java on PATH": one or more JDK homes or java binaries, each measured as its own agent,
#     e.g. JAVA="/usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64"
#   AGENT_JAVA_OPTS: the JVM flags of deploy/Dockerfile (read from it, so the agent runs as the image runs it);
#     a flag a JVM does not know (e.g. -XX:+UseCompactObjectHeaders before 25) is dropped for that JVM and said so.
#     ";" separates alternative sets, each measured as an agent of its own on every JVM of JAVA (at most 9 agents),
#     e.g. AGENT_JAVA_OPTS="-XX:+UseG1GC -XX:MaxRAMPercentage=50;-XX:+UseZGC -XX:MaxRAMPercentage=50"
#   AGENT_TRANSPORTS=auto: the agent's --transport, one or more of auto epoll io_uring nio, each measured as an agent
#     of its own on every JVM and flag set, e.g. AGENT_TRANSPORTS="epoll io_uring"
#   AGENT_MAX_RAM=512m: -XX:MaxRAM, standing in for the DaemonSet's memory limit so that -XX:MaxRAMPercentage
#     sizes the heap as in the pod ("" leaves the machine's memory)
# Time: about (WARMUP x loads + DURATION x (loads + 1)) per target, plus DURATION x (loads + 1) x targets for every
# further REPEAT; the defaults take about 9 minutes with one JVM.
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-15}
REPEAT=${REPEAT:-1}
UDP_RATE=${UDP_RATE:-64M}
UDP_LEN=${UDP_LEN:-64}
CONN_CONNECTIONS=${CONN_CONNECTIONS:-64}
LOADS=${LOADS:-"tcp http conn udp"}
TARGETS=${TARGETS:-"direct iptables agent haproxy"}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AGENT_JAR=${AGENT_JAR:-"$ROOT/proxy-agent/target/proxy-agent.jar"}
JAVA=${JAVA:-${JAVA_HOME:-java}}
IMAGE_JAVA_OPTS=$(sed -n 's/^ENV JAVA_TOOL_OPTIONS="\(.*\)"$/\1/p' "$ROOT/deploy/Dockerfile")
AGENT_JAVA_OPTS=${AGENT_JAVA_OPTS-$IMAGE_JAVA_OPTS}
AGENT_TRANSPORTS=${AGENT_TRANSPORTS:-auto}
AGENT_MAX_RAM=${AGENT_MAX_RAM-512m}
TAG="ubp$$"
NS_CLIENT="$TAG-client" NS_NODE="$TAG-node" NS_POD1="$TAG-pod1" NS_POD2="$TAG-pod2"
CLIENT_IP=10.200.1.2 POD1_IP=10.200.2.2 POD2_IP=10.200.3.2
VIP_IPTABLES=10.200.100.10 VIP_AGENT_BASE=20 VIP_HAPROXY=10.200.100.30
CLUSTER_CIDR=10.200.0.0/16
CLK_TCK=$(getconf CLK_TCK)
WORK=$(mktemp -d /tmp/ubp-e2e.XXXXXX)
PIDS=()
NAMESPACES=()
log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Stops only the processes this script started (by PID): TERM, up to 10 s to exit (the agent drains), then KILL.
cleanup() {
  local pid ns tries=100
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((tries-- > 0)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------- tools
install_missing() {
  local missing=() pair
  for pair in ip:iproute2 iptables-restore:iptables iperf3:iperf3 wrk:wrk nginx:nginx-light jq:jq curl:curl \
              haproxy:haproxy; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  ((${#missing[@]})) || return 0
  log "installing: ${missing[*]}"
  apt-get update -qq >&2
  # Each package on its own, so that one that cannot be installed (HAProxy is optional) stops nothing else.
  for pair in "${missing[@]}"; do
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pair" >&2 \
      || log "could not install $pair"
  done
}

# ------------------------------------------------------------------------------------------------- topology
add_ns() { ip netns add "$1"; NAMESPACES+=("$1"); ip -n "$1" link set lo up; }

# link NS_A IF_A ADDR_A NS_B IF_B ADDR_B: a veth pair with a /24 on each end.
link() {
  ip -n "$1" link add "$2" type veth peer name "$5" netns "$4"
  ip -n "$1" addr add "$3/24" dev "$2"
  ip -n "$4" addr add "$6/24" dev "$5"
  ip -n "$1" link set "$2" up
  ip -n "$4" link set "$5" up
}

setup_topology() {
  add_ns "$NS_CLIENT"; add_ns "$NS_NODE"; add_ns "$NS_POD1"; add_ns "$NS_POD2"
  link "$NS_CLIENT" eth0 "$CLIENT_IP" "$NS_NODE" vclient 10.200.1.1
  link "$NS_POD1" eth0 "$POD1_IP" "$NS_NODE" vpod1 10.200.2.1
  link "$NS_POD2" eth0 "$POD2_IP" "$NS_NODE" vpod2 10.200.3.1
  ip -n "$NS_CLIENT" route add 10.200.0.0/16 via 10.200.1.1
  ip -n "$NS_POD1" route add default via 10.200.2.1
  ip -n "$NS_POD2" route add default via 10.200.3.1
  ip netns exec "$NS_NODE" sysctl -qw net.ipv4.ip_forward=1
  local ns
  for ns in "$NS_CLIENT" "$NS_NODE" "$NS_POD1" "$NS_POD2"; do
    # Short-connection loads would otherwise run out of ephemeral ports to the same destination.
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
  done
  # The agents and HAProxy accept on their VIPs, so each adds its VIP to the node's lo as it starts.
}

# Starts a command in a namespace in the background and remembers its PID (ip netns exec execs the command).
start_in() {
  local ns=$1 logfile=$2; shift 2
  ip netns exec "$ns" "$@" >"$logfile" 2>&1 &
  PIDS+=("$!")
}

start_pods() {
  local pod
  for pod in pod1 pod2; do
    mkdir -p "$WORK/nginx-$pod"
    cat >"$WORK/nginx-$pod/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx-$pod/nginx.pid;
error_log $WORK/nginx-$pod/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx-$pod/body;
  proxy_temp_path $WORK/nginx-$pod/proxy;
  fastcgi_temp_path $WORK/nginx-$pod/fastcgi;
  uwsgi_temp_path $WORK/nginx-$pod/uwsgi;
  scgi_temp_path $WORK/nginx-$pod/scgi;
  server { listen 80 backlog=8192; location / { return 200 "$pod\n"; } }
}
EOF
  done
  start_in "$NS_POD1" "$WORK/nginx-pod1.log" nginx -c "$WORK/nginx-pod1/nginx.conf"
  wait_for "nginx in pod1" "${PIDS[-1]}" ip netns exec "$NS_POD1" curl -sf -m 1 -o /dev/null http://127.0.0.1/
  start_in "$NS_POD2" "$WORK/nginx-pod2.log" nginx -c "$WORK/nginx-pod2/nginx.conf"
  wait_for "nginx in pod2" "${PIDS[-1]}" ip netns exec "$NS_POD2" curl -sf -m 1 -o /dev/null http://127.0.0.1/
  start_in "$NS_POD1" "$WORK/iperf3.log" iperf3 -s -p 5201
  wait_for "iperf3 in pod1" "${PIDS[-1]}" sh -c "ip netns exec $NS_POD1 ss -Hltn 'sport = :5201' | grep -q LISTEN"
}

# wait_for WHAT PID COMMAND...: retries COMMAND 10 times a second for up to WAIT_TRIES/10 seconds (default 30),
# giving up at once if process PID (a server it waits for; "-" for none) has exited.
wait_for() {
  local what=$1 pid=$2 tries=${WAIT_TRIES:-300}; shift 2
  while ! "$@" >/dev/null 2>&1; do
    if [[ $pid != - ]] && ! kill -0 "$pid" 2>/dev/null; then log "$what: the process exited"; return 1; fi
    ((--tries > 0)) || { log "timed out waiting for $what"; return 1; }
    sleep 0.1
  done
}

# ------------------------------------------------------------------------------------------- (b) iptables
# base32(sha256(text))[:16], as kube-proxy names its chains.
chain_hash() {
  printf '%s' "$1" | sha256sum | head -c 64 | sed 's/../\\x&/g' | { read -r hex; printf '%b' "$hex"; } \
    | base32 | head -c 16
}

# service_rules NAME(ns/svc:port) PROTO VIP PORT ENDPOINT...: the KUBE-SERVICES jump, the KUBE-SVC chain with
# the statistic cascade, and a KUBE-SEP chain per endpoint, as kube-proxy writes them (small-cluster comments).
service_rules() {
  local name=$1 proto=$2 vip=$3 port=$4; shift 4
  local svc="KUBE-SVC-$(chain_hash "$name$proto")" n=$# i=0 ep sep
  echo ":$svc - [0:0]" >>"$WORK/chains"
  echo "-A KUBE-SERVICES -m comment --comment \"$name cluster IP\" -m $proto -p $proto -d $vip --dport $port -j $svc"
  echo "-A $svc -m comment --comment \"$name cluster IP\" -m $proto -p $proto -d $vip --dport $port" \
       "! -s $CLUSTER_CIDR -j KUBE-MARK-MASQ"
  for ep in "$@"; do
    sep="KUBE-SEP-$(chain_hash "$name$proto$ep")"
    echo ":$sep - [0:0]" >>"$WORK/chains"
    if ((i < n - 1)); then
      echo "-A $svc -m comment --comment \"$name -> $ep\" -m statistic --mode random --probability" \
           "$(LC_ALL=C awk -v r=$((n - i)) 'BEGIN { printf "%.10f", 1 / r }') -j $sep"
    else
      echo "-A $svc -m comment --comment \"$name -> $ep\" -j $sep"
    fi
    echo "-A $sep -m comment --comment $name -s ${ep%:*} -j KUBE-MARK-MASQ"
    echo "-A $sep -m comment --comment $name -m $proto -p $proto -j DNAT --to-destination $ep"
    i=$((i + 1))
  done
}

setup_iptables() {
  : >"$WORK/chains"
  local rules
  rules=$(
    service_rules bench/web:http tcp "$VIP_IPTABLES" 80 "$POD1_IP:80" "$POD2_IP:80"
    service_rules bench/iperf:tcp tcp "$VIP_IPTABLES" 5201 "$POD1_IP:5201"
    service_rules bench/iperf:udp udp "$VIP_IPTABLES" 5201 "$POD1_IP:5201"
  )
  {
    echo "*nat"
    printf ':%s - [0:0]\n' KUBE-SERVICES KUBE-NODEPORTS KUBE-POSTROUTING KUBE-MARK-MASQ
    cat "$WORK/chains"
    echo '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'
    echo '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'
    echo '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING'
    echo '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN'
    echo '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000'
    echo '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT"' \
         '-j MASQUERADE --random-fully'
    echo '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000'
    echo "$rules"
    echo '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule' \
         'in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS'
    echo COMMIT
  } >"$WORK/iptables.rules"
  ip netns exec "$NS_NODE" iptables-restore --noflush <"$WORK/iptables.rules"
}

# ---------------------------------------------------------------------------------------------- (c) the agent
declare -A PID_OF HOSTS LABEL SHORT  # per target: the proxy process to charge CPU to, the address(es), the column
AGENTS=()                       # the agent targets, agent1 ..., one per JVM of JAVA

# write_manifests DIR VIP: the bench Services and their EndpointSlices, with VIP as the ClusterIP.
write_manifests() {
  mkdir -p "$1"
  cat >"$1/services.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: web, namespace: bench}
spec:
  type: ClusterIP
  clusterIP: $2
  ports:
  - {name: http, port: 80, targetPort: 80, protocol: TCP}
---
apiVersion: v1
kind: Service
metadata: {name: iperf, namespace: bench}
spec:
  type: ClusterIP
  clusterIP: $2
  ports:
  - {name: tcp, port: 5201, targetPort: 5201, protocol: TCP}
  - {name: udp, port: 5201, targetPort: 5201, protocol: UDP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-1
  namespace: bench
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports:
- {name: http, port: 80, protocol: TCP}
endpoints:
- {addresses: ["$POD1_IP"], conditions: {ready: true}}
- {addresses: ["$POD2_IP"], conditions: {ready: true}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: iperf-1
  namespace: bench
  labels: {kubernetes.io/service-name: iperf}
addressType: IPv4
ports:
- {name: tcp, port: 5201, protocol: TCP}
- {name: udp, port: 5201, protocol: UDP}
endpoints:
- {addresses: ["$POD1_IP"], conditions: {ready: true}}
YAML
}

# java_binary HOME_OR_BINARY: the java executable it names.
java_binary() {
  if [[ -d $1 ]]; then echo "$1/bin/java"; else command -v "$1" || echo "$1"; fi
}

# jvm_opts JAVA FLAGS: AGENT_MAX_RAM and FLAGS, less each flag this JVM refuses (each probe is `java -version`).
jvm_opts() {
  local java=$1 opt kept=()
  for opt in ${AGENT_MAX_RAM:+-XX:MaxRAM=$AGENT_MAX_RAM} $2; do
    if "$java" "$opt" -version >/dev/null 2>&1; then kept+=("$opt"); else log "$java does not take $opt: left out"; fi
  done
  echo "${kept[*]}"
}

# start_agent INDEX JAVA FLAGS TAG TRANSPORT JAR: the agent JAR on that JVM with those flags and --transport,
# serving VIP 10.200.100.(20 + INDEX) in the node namespace; TAG (may be empty) tells it apart from agents on the
# same JVM with other flags, another transport or another jar.
start_agent() {
  local i=$1 java t="agent$1" vip="10.200.100.$((VIP_AGENT_BASE + $1))" opts pid version
  java=$(java_binary "$2")
  [[ -x $java ]] || { log "($t) skipped: no java at $java"; return 1; }
  opts=$(jvm_opts "$java" "$3")
  ip -n "$NS_NODE" addr add "$vip/32" dev lo
  write_manifests "$WORK/manifests-$t" "$vip"
  # shellcheck disable=SC2086 # the options are words
  start_in "$NS_NODE" "$WORK/$t.log" "$java" $opts -jar "$6" --proxy-mode=userspace --transport="$5" \
    --manifests "$WORK/manifests-$t" --healthz-bind-address="127.0.0.1:$((10300 + i))" \
    --metrics-bind-address="127.0.0.1:$((10400 + i))"
  pid=${PIDS[-1]}
  if ! WAIT_TRIES=600 wait_for "the agent's listeners on $vip" "$pid" sh -c \
      "ip netns exec $NS_NODE ss -Hltn 'src $vip' | grep -q ':80 ' \
       && ip netns exec $NS_NODE ss -Hltn 'src $vip' | grep -q ':5201 ' \
       && ip netns exec $NS_NODE ss -Hlun 'src $vip' | grep -q ':5201 '"; then
    log "($t) skipped: the agent did not listen on $vip:80 and :5201 (tcp, udp); last lines of its log:"
    tail -n 20 "$WORK/$t.log" >&2
    return 1
  fi
  # The JVM that really runs it: the binary behind the PID, not what PATH would say.
  version=$("$(readlink "/proc/$pid/exe")" -version 2>&1 | grep -v '^Picked up' | head -n 2 | paste -sd' ')
  SHORT[$t]="JDK $(sed -E 's/^[^"]*"([^"]*)".*/\1/' <<<"$version")${4:+ $4}"
  PID_OF[$t]=$pid HOSTS[$t]=$vip LABEL[$t]="(c) agent, ${SHORT[$t]}"
  AGENTS+=("$t")
  log "($t) $version"
  log "($t) JVM flags: $opts"
  JVM_LINES+=("$t: $version; $6; --transport=$5; flags: $opts; JVM warnings at start: $(jvm_warnings "$WORK/$t.log")")
}
JVM_LINES=()

# The JVM's own warnings in a log (lines starting WARNING:, as the JVM prints them), or "none".
jvm_warnings() {
  local n
  n=$(grep -c '^WARNING:' "$1" || true)
  if ((n)); then grep -m1 '^WARNING:' "$1" | cut -c1-120; else echo none; fi
}

# ----------------------------------------------------------------------------------------------- (d) HAProxy
start_haproxy() {
  command -v haproxy >/dev/null || { log "(d) skipped: haproxy is not installed"; return 1; }
  ip -n "$NS_NODE" addr add "$VIP_HAPROXY/32" dev lo
  cat >"$WORK/haproxy.cfg" <<CFG
global
  # Enough for these loads and within the 20,000 open files a sandbox may allow (HAProxy sizes its limit from it).
  maxconn 5000
  # As many threads as the agent has event loops on this machine's two cores.
  nbthread 2
defaults
  mode tcp
  # Splice forced both ways from the first byte (splice-auto would only splice when it guesses it pays).
  option splice-request
  option splice-response
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend web
  bind $VIP_HAPROXY:80
  default_backend web
backend web
  balance roundrobin
  server pod1 $POD1_IP:80
  server pod2 $POD2_IP:80
frontend iperf
  bind $VIP_HAPROXY:5201
  default_backend iperf
backend iperf
  server pod1 $POD1_IP:5201
CFG
  start_in "$NS_NODE" "$WORK/haproxy.log" haproxy -db -f "$WORK/haproxy.cfg"
  local pid=${PIDS[-1]}
  wait_for "HAProxy on $VIP_HAPROXY" "$pid" \
    sh -c "ip netns exec $NS_NODE ss -Hltn 'src $VIP_HAPROXY' | grep -q ':5201 '" \
    || { log "(d) skipped: HAProxy did not start:"; tail -n 20 "$WORK/haproxy.log" >&2; return 1; }
  PID_OF[haproxy]=$pid HOSTS[haproxy]=$VIP_HAPROXY
  LABEL[haproxy]="(d) HAProxy $(haproxy -v | awk 'NR == 1 { sub(/-.*/, "", $3); print $3 }'), splice, 2 threads"
}

# --------------------------------------------------------------------------------------------- measuring
declare -A R   # R[target,metric] = the values of every run, space-separated

# add TARGET METRIC VALUE: one run's value, also logged as it is taken (so a run's figures survive in the log).
add() { R[$1,$2]+="$3 "; log "$1 $2 = $3"; }

in_client() { timeout $((DURATION + 20)) ip netns exec "$NS_CLIENT" "$@"; }

# CPU of a target's proxy process over a load window: cpu_begin TARGET, run the load, cpu_end TARGET LOAD RATE
# SCALE records cores as LOAD_cpu and cores per SCALE units of RATE as LOAD_unit (nothing for a target without a
# process of its own, or when the rate is empty or zero).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# jvm_ticks PID: the CPU ticks of a JVM's own threads (collectors, JIT compilers, the VM thread), builtins only so
# that reading forty threads does not stretch the window; 0 for a process without them (HAProxy).
jvm_ticks() {
  local task comm line f sum=0
  for task in /proc/"$1"/task/*; do
    { read -r comm <"$task/comm" && read -r line <"$task/stat"; } 2>/dev/null || continue
    case $comm in 'GC Thread'* | 'G1 '* | 'C1 CompilerThre'* | 'C2 CompilerThre'* | 'VM Thread' | 'Sweeper thread') ;;
      *) continue ;;
    esac
    read -ra f <<<"${line##*) }"
    sum=$((sum + f[11] + f[12]))
  done
  echo "$sum"
}
# idle_ticks: the idle (and iowait) ticks of every core so far, from /proc/stat. The machine's busy time is the wall
# time of every core less this: the busy fields of /proc/stat are sampled at the timer tick (250 Hz on these
# kernels, without IRQ time accounting) and miss most of a load paced in bursts, such as iperf3's UDP, while a
# tickless kernel measures idle time exactly, at every entry into idle and exit from it.
idle_ticks() { awk '$1 == "cpu" { print $5 + $6; exit }' /proc/stat; }
cpu_begin() {
  local pid=${PID_OF[$1]:-}
  MACHINE_T0=$EPOCHREALTIME IDLE_TICKS0=$(idle_ticks)
  [[ -n $pid ]] || return 0
  CPU_T0=$EPOCHREALTIME CPU_TICKS0=$(cpu_ticks "$pid") JVM_TICKS0=$(jvm_ticks "$pid")
}
# Also records, for every target (DNAT and direct included), the whole machine's busy cores over the window as
# LOAD_machine and per SCALE units of RATE as LOAD_munit.
cpu_end() {
  local t=$1 load=$2 rate=${3:-} scale=$4 pid=${PID_OF[$1]:-} cores jvm machine per_unit=0
  machine=$(awk -v d="$(($(idle_ticks) - IDLE_TICKS0))" -v hz="$CLK_TCK" -v t0="$MACHINE_T0" \
    -v t1="$EPOCHREALTIME" -v n="$(nproc)" 'BEGIN { b = n - d / hz / (t1 - t0); printf "%.3f", (b > 0 ? b : 0) }')
  add "$t" "${load}_machine" "$machine"
  [[ -n $rate ]] && awk -v r="$rate" 'BEGIN { exit !(r > 0) }' && per_unit=1
  ((per_unit)) && add "$t" "${load}_munit" \
    "$(awk -v c="$machine" -v r="$rate" -v s="$scale" 'BEGIN { printf "%.4f", c / (r / s) }')"
  [[ -n $pid ]] || return 0
  jvm=$(($(jvm_ticks "$pid") - JVM_TICKS0))
  cores=$(awk -v d="$(($(cpu_ticks "$pid") - CPU_TICKS0))" -v hz="$CLK_TCK" -v t0="$CPU_T0" -v t1="$EPOCHREALTIME" \
    'BEGIN { printf "%.3f", d / hz / (t1 - t0) }')
  add "$t" "${load}_cpu" "$cores"
  # A JVM still compiling or collecting much in the window was not warm, or is short of heap: said, not hidden.
  [[ ${t:0:5} == agent ]] && add "$t" "${load}_jvm" "$(awk -v d="$jvm" -v hz="$CLK_TCK" -v t0="$CPU_T0" \
    -v t1="$EPOCHREALTIME" 'BEGIN { printf "%.3f", d / hz / (t1 - t0) }')"
  if ((per_unit)); then
    add "$t" "${load}_unit" "$(awk -v c="$cores" -v r="$rate" -v s="$scale" 'BEGIN { printf "%.4f", c / (r / s) }')"
  fi
}

# wrk latency like 512.00us, 1.43ms or 1.01s, in milliseconds.
to_ms() { awk -v v="$1" 'BEGIN { u = v; sub(/[0-9.]+/, "", u); n = v + 0;
  printf "%.3f", (u == "us") ? n / 1000 : (u == "s") ? n * 1000 : n }'; }

# wrk_split SECONDS THREADS CONNECTIONS HOSTS [wrk options]: one wrk per host, run at once, sharing out the threads
# and connections, each output into $WORK/wrk.N. (Direct traffic has no balancer, so it loads both pods itself.)
wrk_split() {
  local seconds=$1 threads=$2 conns=$3 hosts=($4) i=0 pids=() rc=0 h; shift 4
  rm -f "$WORK"/wrk.*
  for h in "${hosts[@]}"; do
    timeout $((seconds + 20)) ip netns exec "$NS_CLIENT" wrk -t $((threads / ${#hosts[@]})) \
      -c $((conns / ${#hosts[@]})) -d "${seconds}s" "$@" "http://$h/" >"$WORK/wrk.$i" 2>&1 &
    pids+=("$!")
    i=$((i + 1))
  done
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  return $rc
}

# Sums requests/s over the wrk outputs; the slowest of their latency percentiles stands for the whole.
wrk_sum() { cat "$WORK"/wrk.* | awk '/^Requests\/sec/ { s += $2 } END { printf "%.0f", s }'; }
wrk_worst() {
  local p=$1 v worst=0 f
  for f in "$WORK"/wrk.*; do
    v=$(to_ms "$(awk -v p="$p" '$1 == p { print $2 }' "$f")")
    worst=$(awk -v a="$v" -v b="$worst" 'BEGIN { print (a > b) ? a : b }')
  done
  echo "$worst"
}
wrk_errors() { cat "$WORK"/wrk.* | awk -v tag="$1" '/Socket errors|Non-2xx/ { s = s tag $0 "; " } END { print s }'; }

# One of the client namespace's TCP counters (nstat -a: absolute, so no history file is involved).
client_counter() {
  ip netns exec "$NS_CLIENT" nstat -az "$1" | awk -v name="$1" '$1 == name { print $2 }'
}

# udp_rcvbuf_errors NS: datagrams the namespace's UDP sockets dropped for a full receive buffer (Udp RcvbufErrors
# of its /proc/net/snmp). In the node namespace those are the proxy's own sockets (DNAT forwards without one); in
# the pod's, iperf3's.
udp_rcvbuf_errors() {
  ip netns exec "$1" awk '/^Udp:/ { if (!n++) { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i }
    else print $c }' /proc/net/snmp
}

load_tcp() {
  local t=$1 host=${HOSTS[$1]%% *} streams out gbps
  for streams in 1 4; do
    log "$t: TCP throughput, $streams stream(s)"
    cpu_begin "$t"
    if out=$(in_client iperf3 -c "$host" -p 5201 -t "$DURATION" -P "$streams" -J); then
      gbps=$(jq -r '.end.sum_received.bits_per_second / 1e9 | . * 100 | round / 100' <<<"$out")
      add "$t" "tcp$streams" "$gbps"
      cpu_end "$t" "tcp$streams" "$gbps" 1
    fi
  done
}

load_http() {
  local t=$1 before rps
  log "$t: keep-alive requests"
  before=$(client_counter TcpRetransSegs)
  cpu_begin "$t"
  wrk_split "$DURATION" 2 64 "${HOSTS[$t]}" --latency || return 0
  rps=$(wrk_sum)
  cpu_end "$t" http "$rps" 10000
  add "$t" retrans $(($(client_counter TcpRetransSegs) - before))
  add "$t" rps "$rps"
  add "$t" p50 "$(wrk_worst 50%)"
  add "$t" p99 "$(wrk_worst 99%)"
  R[$t,errors]+=$(wrk_errors "keep-alive: ")
}

load_conn() {
  local t=$1 before cps
  log "$t: new connections"
  before=$(client_counter TcpExtTCPSynRetrans)
  cpu_begin "$t"
  wrk_split "$DURATION" 2 "$CONN_CONNECTIONS" "${HOSTS[$t]}" --latency -H "Connection: close" || return 0
  cps=$(wrk_sum)
  cpu_end "$t" conn "$cps" 1000
  add "$t" cps "$cps"
  add "$t" cp99 "$(wrk_worst 99%)"
  add "$t" synretrans $(($(client_counter TcpExtTCPSynRetrans) - before))
  R[$t,errors]+=$(wrk_errors "close: ")
}

# gso_datagrams TARGET: an agent's userspace_proxy_udp_gso_datagrams_total now (datagrams it sent in GSO runs), from
# its /metrics in the node namespace; 0 where the metric is absent (an agent built before it).
gso_datagrams() {
  ip netns exec "$NS_NODE" curl -sf -m 2 "http://127.0.0.1:$((10400 + ${1#agent}))/metrics" |
    awk '$1 == "userspace_proxy_udp_gso_datagrams_total" { n = $2 } END { printf "%.0f", n }'
}

load_udp() {
  local t=$1 host=${HOSTS[$1]%% *} out dps
  [[ $t != haproxy ]] || return 0
  log "$t: UDP datagrams at $UDP_RATE bit/s offered, $UDP_LEN-byte payloads"
  local node_before pod_before packets gso_before=
  node_before=$(udp_rcvbuf_errors "$NS_NODE") pod_before=$(udp_rcvbuf_errors "$NS_POD1")
  [[ $t != agent* ]] || gso_before=$(gso_datagrams "$t")
  cpu_begin "$t"
  if out=$(in_client iperf3 -c "$host" -p 5201 -u -b "$UDP_RATE" -l "$UDP_LEN" -t "$DURATION" -J); then
    dps=$(jq -r '.end.sum | (.packets - .lost_packets) / .seconds | round' <<<"$out")
    cpu_end "$t" udp "$dps" 100000
    add "$t" udp "$dps"
    add "$t" udploss "$(jq -r '.end.sum.lost_percent | . * 100 | round / 100' <<<"$out")"
    add "$t" udpsent "$(jq -r '.end.sum | .packets / .seconds | round' <<<"$out")"
    # Where the loss happened: a full receive buffer at the proxy, at the receiving pod, or elsewhere (veth
    # backlogs, the client's own socket), each as a share of the datagrams sent.
    packets=$(jq -r '.end.sum.packets' <<<"$out")
    add "$t" udpdropnode "$(awk -v d=$(($(udp_rcvbuf_errors "$NS_NODE") - node_before)) -v p="$packets" \
      'BEGIN { printf "%.2f", (p > 0 ? 100 * d / p : 0) }')"
    add "$t" udpdroppod "$(awk -v d=$(($(udp_rcvbuf_errors "$NS_POD1") - pod_before)) -v p="$packets" \
      'BEGIN { printf "%.2f", (p > 0 ? 100 * d / p : 0) }')"
    # How much of what the agent relayed left in GSO runs (--udp-gso), as a share of the datagrams sent.
    [[ -z $gso_before ]] || add "$t" udpgso "$(awk -v d=$(($(gso_datagrams "$t") - gso_before)) -v p="$packets" \
      'BEGIN { printf "%.1f", (p > 0 ? 100 * d / p : 0) }')"
  fi
}

# warm TARGET: every load of LOADS for WARMUP seconds, results thrown away; the same for every target. In two
# rounds of half the time each, so that what the measured runs go through is seen before them too: the end of a
# load (wrk drops its open connections mid-request) and the switch from one load to the next (the bulk load's
# splice relay) take paths a JIT has not compiled, and after one round the agent's compilers were still busy in the
# first keep-alive window (0.84 of its 10 CPU seconds, its p99 4.3 ms against 2.1-2.3 in the next two).
warm() {
  local t=$1 host=${HOSTS[$1]%% *} load round s=$(((WARMUP + 1) / 2))
  ((WARMUP > 0)) || return 0 # iperf3 -t 0 would run until its timeout
  log "$t: warming up, ${WARMUP}s per load in two rounds"
  for round in 1 2; do
    for load in $LOADS; do
      case $load in
        tcp) timeout $((s + 20)) ip netns exec "$NS_CLIENT" iperf3 -c "$host" -p 5201 -t "$s" -P 2 ;;
        http) wrk_split "$s" 2 64 "${HOSTS[$t]}" ;;
        conn) wrk_split "$s" 2 "$CONN_CONNECTIONS" "${HOSTS[$t]}" -H "Connection: close" ;;
        udp) [[ $t == haproxy ]] || timeout $((s + 20)) ip netns exec "$NS_CLIENT" \
               iperf3 -c "$host" -p 5201 -u -b "$UDP_RATE" -l "$UDP_LEN" -t "$s" ;;
      esac >/dev/null 2>&1 || log "$t: warm-up of $load failed (round $round)"
    done
  done
}

# measure TARGET: every load of LOADS against the target's hosts (the first alone for iperf3), results appended
# to R[TARGET,*]; a load that fails adds nothing ("n/a" in the table when no run has a value).
measure() {
  local t=$1 load
  in_client curl -sf -m 2 -o /dev/null "http://${HOSTS[$t]%% *}/" \
    || { log "$t: ${HOSTS[$t]%% *} does not answer"; return 1; }
  for load in $LOADS; do
    "load_$load" "$t"
  done
  log "$t: conntrack entries in the node namespace: $(ip netns exec "$NS_NODE" \
    cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo unknown) of at most $(ip netns exec \
    "$NS_NODE" cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null || echo unknown)"
}

# ------------------------------------------------------------------------------------------------ report
# cell FORMAT VALUES...: the median, and [min-max] when there is more than one value; "n/a" for none.
cell() {
  local fmt=$1; shift
  (($#)) || { echo n/a; return; }
  printf '%s\n' "$@" | sort -g | awk -v f="$fmt" '{ a[NR] = $1 } END {
    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    s = sprintf(f, m); if (NR > 1) s = s " [" sprintf(f, a[1]) "-" sprintf(f, a[NR]) "]"; print s }'
}
median() {
  printf '%s\n' "$@" | sort -g \
    | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# ratio TARGET PEER METRIC: the target's median over the peer's, or nothing when either has no value.
ratio() {
  local a b
  # shellcheck disable=SC2086 # the values are words
  a=$(median ${R[$1,$3]:-}) b=$(median ${R[$2,$3]:-})
  if [[ -n $a && -n $b ]]; then awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b }'; fi
}

report() {
  local targets=() t
  for t in direct iptables "${AGENTS[@]}" haproxy; do [[ -n ${HOSTS[$t]:-} ]] && targets+=("$t"); done
  # key|label|printf format|ratios (r: ratio, higher is better; l: ratio, lower is better; -: none)
  local JVM_ROW="    of it, the JVM's collector and JIT threads"
  local MACHINE_ROW="  machine CPU, every process and softirq (cores of $(nproc))"
  local rows=(
    "tcp1|TCP 1 stream (Gbit/s)|%.2f|r" "tcp1_cpu|  proxy CPU (cores)|%.2f|l" "tcp1_jvm|$JVM_ROW|%.3f|-"
    "tcp1_unit|  cores per Gbit/s|%.3f|l"
    "tcp1_machine|$MACHINE_ROW|%.2f|-" "tcp1_munit|  machine cores per Gbit/s|%.3f|l"
    "tcp4|TCP 4 streams (Gbit/s)|%.2f|r" "tcp4_cpu|  proxy CPU (cores)|%.2f|l" "tcp4_jvm|$JVM_ROW|%.3f|-"
    "tcp4_unit|  cores per Gbit/s|%.3f|l"
    "tcp4_machine|$MACHINE_ROW|%.2f|-" "tcp4_munit|  machine cores per Gbit/s|%.3f|l"
    "rps|keep-alive req/s|%.0f|r" "p50|  p50 (ms)|%.3f|l" "p99|  p99 (ms)|%.3f|l" "retrans|  TCP retransmits|%.0f|-"
    "http_cpu|  proxy CPU (cores)|%.2f|l" "http_jvm|$JVM_ROW|%.3f|-" "http_unit|  cores per 10k req/s|%.3f|l"
    "http_machine|$MACHINE_ROW|%.2f|-" "http_munit|  machine cores per 10k req/s|%.3f|l"
    "cps|new connections/s|%.0f|r" "cp99|  p99 (ms)|%.3f|l" "synretrans|  SYN retransmits|%.0f|-"
    "conn_cpu|  proxy CPU (cores)|%.2f|l" "conn_jvm|$JVM_ROW|%.3f|-" "conn_unit|  cores per 1k conn/s|%.3f|l"
    "conn_machine|$MACHINE_ROW|%.2f|-" "conn_munit|  machine cores per 1k conn/s|%.3f|l"
    "udp|UDP datagrams/s received|%.0f|r" "udpsent|  sent (offered)/s|%.0f|-" "udploss|  loss (%)|%.2f|-"
    "udpdropnode|    of it, a full buffer at the proxy (%)|%.2f|-"
    "udpdroppod|    of it, a full buffer at the pod (%)|%.2f|-"
    "udpgso|  sent by the agent in GSO runs (%)|%.1f|-"
    "udp_cpu|  proxy CPU (cores)|%.2f|l" "udp_jvm|$JVM_ROW|%.3f|-"
    "udp_unit|  cores per 100k dgram/s|%.3f|l"
    "udp_machine|$MACHINE_ROW|%.2f|-" "udp_munit|  machine cores per 100k dgram/s|%.3f|l")
  local row key label fmt kind head sep line a
  head="| metric |" sep="| --- |"
  for t in "${targets[@]}"; do
    case $t in
      direct) head+=" (a) pod direct |" ;; iptables) head+=" (b) iptables DNAT |" ;; *) head+=" ${LABEL[$t]} |" ;;
    esac
    sep+=" ---: |"
  done
  for a in "${AGENTS[@]}"; do
    [[ -n ${HOSTS[haproxy]:-} ]] && { head+=" ${SHORT[$a]} ÷ HAProxy |"; sep+=" ---: |"; }
    [[ -n ${HOSTS[iptables]:-} ]] && { head+=" ${SHORT[$a]} ÷ DNAT |"; sep+=" ---: |"; }
  done
  printf '\n%s\n%s\n' "$head" "$sep"
  for row in "${rows[@]}"; do
    IFS='|' read -r key label fmt kind <<<"$row"
    [[ -n $(for t in "${targets[@]}"; do echo -n "${R[$t,$key]:-}"; done) ]] || continue
    line="| $label |"
    for t in "${targets[@]}"; do
      # shellcheck disable=SC2086 # the values are words
      line+=" $(cell "$fmt" ${R[$t,$key]:-}) |"
    done
    for a in "${AGENTS[@]}"; do
      [[ -n ${HOSTS[haproxy]:-} ]] && line+=" $([[ $kind == - ]] || ratio "$a" haproxy "$key") |"
      [[ -n ${HOSTS[iptables]:-} ]] && line+=" $([[ $kind == - ]] || ratio "$a" iptables "$key") |"
    done
    printf '%s\n' "$line"
  done
  printf '\nEach cell: the median of %s run(s)%s. Ratios: the agent'\''s median over the peer'\''s (CPU, per-unit\n' \
    "$REPEAT" "$( ((REPEAT > 1)) && echo ', [min-max] beside it')"
  printf 'and latency rows: lower is better). Proxy CPU: utime + stime of the proxy process over the load window;\n'
  printf 'n/a for direct and DNAT (DNAT'\''s cost is softirq time, not attributable to a process). Of it,\n'
  printf 'the JVM'\''s threads: its GC, G1, C1 and C2 compiler and VM threads (/proc/PID/task), which a warm\n'
  printf 'agent with room in its heap keeps near zero. Machine CPU: every core'\''s time over the window less its\n'
  printf 'idle time (/proc/stat), the load tools and the pods'\'' servers as much as the path\n'
  printf 'between them, so it compares every target, DNAT included; idle agents waiting their turn add a little.\n'
  printf 'Loads: %ss each after a %ss warm-up per load (two rounds, every target alike); new connections\n' \
    "$DURATION" "$WARMUP"
  printf 'with 2 x %s wrk connections; UDP offered %s bit/s of %s-byte datagrams (the client may send fewer:\n' \
    "$CONN_CONNECTIONS" "$UDP_RATE" "$UDP_LEN"
  printf 'see "sent").\n'
  printf 'Kernel %s; %s cores; load average %s at the start, %s at the end.\n' "$(uname -r)" "$(nproc)" \
    "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
  for line in "${JVM_LINES[@]}"; do printf '%s\n' "$line"; done
  for t in "${targets[@]}"; do
    [[ -n ${R[$t,errors]:-} ]] && printf 'wrk errors, %s: %s\n' "$t" "${R[$t,errors]}"
  done
  return 0
}

# ------------------------------------------------------------------------------------------------- main
[[ $(id -u) == 0 ]] || die "needs root (network namespaces, iptables)"
install_missing
for load in $LOADS; do
  [[ $load == @(tcp|http|conn|udp) ]] || die "LOADS: \"$load\" (expected: tcp, http, conn, udp)"
done
for t in $TARGETS; do
  [[ $t == @(direct|iptables|agent|haproxy) ]] || die "TARGETS: \"$t\" (expected: direct, iptables, agent, haproxy)"
done
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "REPEAT: \"$REPEAT\" (expected: a positive integer)"
for cmd in ip iptables-restore iperf3 wrk nginx jq curl; do
  command -v "$cmd" >/dev/null || die "$cmd is required and could not be installed"
done
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
setup_topology
start_pods
# kube-proxy's rules are in place for every path, as on a real node: conntrack tracks all of them alike.
setup_iptables
[[ " $TARGETS " == *" direct "* ]] && HOSTS[direct]="$POD1_IP $POD2_IP"
[[ " $TARGETS " == *" iptables "* ]] && HOSTS[iptables]=$VIP_IPTABLES
if [[ " $TARGETS " == *" agent "* ]]; then
  read -ra jars <<<"$AGENT_JAR"
  IFS=';' read -ra variants <<<"$AGENT_JAVA_OPTS"
  ((${#variants[@]})) || variants=("")
  i=0
  read -ra transports <<<"$AGENT_TRANSPORTS"
  for jar in "${jars[@]}"; do
    if [[ ! -f $jar ]]; then
      log "(c) skipped: agent jar not built: $jar (build it: mvn -B -DskipTests package -pl proxy-agent -am)"
      continue
    fi
    for j in $JAVA; do
      for v in "${variants[@]}"; do
        for tr in "${transports[@]}"; do
          ((++i <= 9)) || die "more than 9 agents (AGENT_JAR x JAVA x the sets of AGENT_JAVA_OPTS x AGENT_TRANSPORTS)"
          # Several sets: each agent is named by its collector flag, else by the set's number; by its transport
          # when there are several; and by its jar's name when there are several.
          tag=
          if ((${#variants[@]} > 1)); then
            tag=$(grep -oE -- '-XX:\+Use[A-Za-z0-9]+GC' <<<"$v" | head -n 1 || true)
            tag=${tag:-flags $((i))}
          fi
          ((${#transports[@]} > 1)) && tag="${tag:+$tag }$tr"
          ((${#jars[@]} > 1)) && tag="${tag:+$tag }$(basename "$jar" .jar)"
          start_agent "$i" "$j" "$v" "$tag" "$tr" "$jar" || true
        done
      done
    done
  done
fi
[[ " $TARGETS " == *" haproxy "* ]] && { start_haproxy || true; }
order=()
for t in direct iptables "${AGENTS[@]}" haproxy; do [[ -n ${HOSTS[$t]:-} ]] && order+=("$t"); done
for t in "${order[@]}"; do warm "$t"; done
for ((run = 1; run <= REPEAT; run++)); do
  log "run $run of $REPEAT"
  for t in "${order[@]}"; do measure "$t" || log "$t: failed in run $run"; done
done
report
