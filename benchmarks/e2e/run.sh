#!/usr/bin/env bash
# End-to-end comparison of the same client load through four paths to the same pods:
#   (a) direct     the pods' own addresses (routing through the node only; the client splits HTTP loads over both
#                  pods itself, iperf3 goes to pod1)
#   (b) iptables   a ClusterIP DNATed by rules laid out as kube-proxy's iptables mode writes them
#   (c) userspace  a ClusterIP served by our agent (proxy-agent/target/proxy-agent.jar)
#   (d) haproxy    a ClusterIP served by HAProxy in TCP mode with `option splice-auto` (when installed)
#
# Topology, all inside network namespaces this script creates and removes on exit (nothing leaves them):
#
#   client 10.200.1.2 --veth-- 10.200.1.1  node  10.200.2.1 --veth-- 10.200.2.2 pod1 (nginx :80, iperf3 :5201)
#                                                10.200.3.1 --veth-- 10.200.3.2 pod2 (nginx :80)
#   VIPs 10.200.100.0/24 are routed from the client via the node: .10 iptables, .20 agent, .30 HAProxy.
#   Services: web 80/TCP -> pod1:80, pod2:80; iperf 5201/TCP+UDP -> pod1:5201 (iperf3 needs all of a test's
#   connections on one server, so its service has one endpoint).
#
# Loads, each bounded by DURATION seconds (default 10; the whole run stays under ten minutes):
#   TCP bulk throughput   iperf3, 1 and 4 streams
#   keep-alive requests   wrk, 2 threads x 64 connections, p50/p99 latency, the client's TCP retransmits
#   new connections       wrk with "Connection: close" (one request per connection), 2 x 16 connections, the
#                         client's SYN retransmits (each one stalled a connection for a second or more; wrk's
#                         latency starts after the connect, so only this count shows such stalls)
#   UDP datagrams         iperf3 -u at a bounded offered rate (UDP_RATE, UDP_LEN); HAProxy has no UDP
#
# Usage (root, from anywhere): benchmarks/e2e/run.sh
# Environment: DURATION=10 WARMUP=3 UDP_RATE=200M UDP_LEN=512 AGENT_JAR=proxy-agent/target/proxy-agent.jar
#              LOADS="tcp http conn udp" (a subset runs only those loads)
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
UDP_RATE=${UDP_RATE:-200M}
UDP_LEN=${UDP_LEN:-512}
LOADS=${LOADS:-"tcp http conn udp"}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AGENT_JAR=${AGENT_JAR:-"$ROOT/proxy-agent/target/proxy-agent.jar"}
TAG="ubp$$"
NS_CLIENT="$TAG-client" NS_NODE="$TAG-node" NS_POD1="$TAG-pod1" NS_POD2="$TAG-pod2"
CLIENT_IP=10.200.1.2 POD1_IP=10.200.2.2 POD2_IP=10.200.3.2
VIP_IPTABLES=10.200.100.10 VIP_AGENT=10.200.100.20 VIP_HAPROXY=10.200.100.30
CLUSTER_CIDR=10.200.0.0/16
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
  # The userspace proxy and HAProxy accept on their VIPs, so those must be local addresses of the node.
  ip -n "$NS_NODE" addr add "$VIP_AGENT/32" dev lo
  ip -n "$NS_NODE" addr add "$VIP_HAPROXY/32" dev lo
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

# ------------------------------------------------------------------------------------------- (c) the agent
write_manifests() {
  mkdir -p "$WORK/manifests"
  cat >"$WORK/manifests/services.yaml" <<EOF
apiVersion: v1
kind: Service
metadata: {name: web, namespace: bench}
spec:
  type: ClusterIP
  clusterIP: $VIP_AGENT
  ports:
  - {name: http, port: 80, targetPort: 80, protocol: TCP}
---
apiVersion: v1
kind: Service
metadata: {name: iperf, namespace: bench}
spec:
  type: ClusterIP
  clusterIP: $VIP_AGENT
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
EOF
}

start_agent() {
  if [[ ! -f $AGENT_JAR ]]; then
    log "(c) skipped: agent jar not built: $AGENT_JAR (build it: mvn -B -DskipTests package -pl proxy-agent -am)"
    return 1
  fi
  write_manifests
  start_in "$NS_NODE" "$WORK/agent.log" java -jar "$AGENT_JAR" --proxy-mode=userspace --manifests "$WORK/manifests"
  local pid=${PIDS[-1]}
  if ! WAIT_TRIES=600 wait_for "the agent's listeners on $VIP_AGENT" "$pid" sh -c \
      "ip netns exec $NS_NODE ss -Hltn 'src $VIP_AGENT' | grep -q ':80 ' \
       && ip netns exec $NS_NODE ss -Hltn 'src $VIP_AGENT' | grep -q ':5201 ' \
       && ip netns exec $NS_NODE ss -Hlun 'src $VIP_AGENT' | grep -q ':5201 '"; then
    log "(c) skipped: the agent did not listen on $VIP_AGENT:80 and :5201 (tcp, udp); last lines of its log:"
    tail -n 20 "$WORK/agent.log" >&2
    return 1
  fi
}

# ------------------------------------------------------------------------------------------- (d) HAProxy
start_haproxy() {
  command -v haproxy >/dev/null || { log "(d) skipped: haproxy is not installed"; return 1; }
  cat >"$WORK/haproxy.cfg" <<EOF
global
  # Enough for these loads and within the 20,000 open files a sandbox may allow (HAProxy sizes its limit from it).
  maxconn 5000
defaults
  mode tcp
  option splice-auto
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
EOF
  start_in "$NS_NODE" "$WORK/haproxy.log" haproxy -db -f "$WORK/haproxy.cfg"
  wait_for "HAProxy on $VIP_HAPROXY" "${PIDS[-1]}" sh -c "ip netns exec $NS_NODE ss -Hltn 'src $VIP_HAPROXY' | grep -q ':5201 '" \
    || { log "(d) skipped: HAProxy did not start:"; tail -n 20 "$WORK/haproxy.log" >&2; return 1; }
}

# --------------------------------------------------------------------------------------------- measuring
declare -A R   # R[target,metric] = value

in_client() { timeout $((DURATION + 20)) ip netns exec "$NS_CLIENT" "$@"; }

# wrk latency like 512.00us, 1.43ms or 1.01s, in milliseconds.
to_ms() { awk -v v="$1" 'BEGIN { u = v; sub(/[0-9.]+/, "", u); n = v + 0;
  printf "%.3f", (u == "us") ? n / 1000 : (u == "s") ? n * 1000 : n }'; }

# wrk_split THREADS CONNECTIONS HOSTS [wrk options]: one wrk per host, run at once, sharing out the threads and
# connections, each output into $WORK/wrk.N. (Direct traffic has no balancer, so it loads both pods itself.)
wrk_split() {
  local threads=$1 conns=$2 hosts=($3) i=0 pids=() rc=0; shift 3
  for h in "${hosts[@]}"; do
    in_client wrk -t $((threads / ${#hosts[@]})) -c $((conns / ${#hosts[@]})) -d "${DURATION}s" "$@" "http://$h/" \
      >"$WORK/wrk.$i" 2>&1 &
    pids+=("$!")
    i=$((i + 1))
  done
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  return $rc
}

# Sums requests/s over the wrk outputs; the slowest of their latency percentiles stands for the whole.
wrk_sum() { cat "$WORK"/wrk.* | awk '/^Requests\/sec/ { s += $2 } END { printf "%.0f", s }'; }
wrk_worst() {
  local p=$1 v worst=0
  for f in "$WORK"/wrk.*; do
    v=$(to_ms "$(awk -v p="$p" '$1 == p { print $2 }' "$f")")
    worst=$(awk -v a="$v" -v b="$worst" 'BEGIN { print (a > b) ? a : b }')
  done
  echo "$worst"
}
wrk_errors() { cat "$WORK"/wrk.* | awk -v tag="$1" '/Socket errors|Non-2xx/ { s = s tag $0 "; " } END { print s }'; }

load_tcp() {
  local t=$1 host=${2%% *} streams out
  log "$t: TCP throughput, 1 and 4 streams"
  for streams in 1 4; do
    if out=$(in_client iperf3 -c "$host" -p 5201 -t "$DURATION" -P "$streams" -J); then
      R[$t,tcp$streams]=$(jq -r '.end.sum_received.bits_per_second / 1e9 | . * 100 | round / 100' <<<"$out")
    fi
  done
}

load_http() {
  local t=$1
  log "$t: keep-alive requests"
  rm -f "$WORK"/wrk.*
  local before
  before=$(client_counter TcpRetransSegs)
  wrk_split 2 64 "$2" --latency || return 0
  R[$t,retrans]=$(($(client_counter TcpRetransSegs) - before))
  R[$t,rps]=$(wrk_sum)
  R[$t,p50]=$(wrk_worst 50%)
  R[$t,p99]=$(wrk_worst 99%)
  R[$t,errors]+=$(wrk_errors "keep-alive: ")
}

# One of the client namespace's TCP counters (nstat -a: absolute, so no history file is involved).
client_counter() {
  ip netns exec "$NS_CLIENT" nstat -az "$1" | awk -v name="$1" '$1 == name { print $2 }'
}

load_conn() {
  local t=$1 before
  log "$t: new connections"
  rm -f "$WORK"/wrk.*
  before=$(client_counter TcpExtTCPSynRetrans)
  wrk_split 2 16 "$2" --latency -H "Connection: close" || return 0
  R[$t,cps]=$(wrk_sum)
  R[$t,cp99]=$(wrk_worst 99%)
  R[$t,synretrans]=$(($(client_counter TcpExtTCPSynRetrans) - before))
  R[$t,errors]+=$(wrk_errors "close: ")
}

load_udp() {
  local t=$1 host=${2%% *} out
  [[ $t != haproxy ]] || return 0
  log "$t: UDP datagrams at $UDP_RATE bit/s offered, $UDP_LEN-byte payloads"
  if out=$(in_client iperf3 -c "$host" -p 5201 -u -b "$UDP_RATE" -l "$UDP_LEN" -t "$DURATION" -J); then
    R[$t,udp]=$(jq -r '.end.sum | (.packets - .lost_packets) / .seconds | round' <<<"$out")
    R[$t,udploss]=$(jq -r '.end.sum.lost_percent | . * 100 | round / 100' <<<"$out")
  fi
}

# measure TARGET "HOST..." runs every load of LOADS against the hosts (the first alone for iperf3), results into
# R[TARGET,*]; a load that fails leaves its cells empty ("n/a" in the table).
measure() {
  local t=$1 hosts=$2 load
  log "$t: checking ${hosts%% *}"
  in_client curl -sf -m 2 -o /dev/null "http://${hosts%% *}/" || { log "$t: ${hosts%% *} does not answer"; return 1; }
  in_client wrk -t 2 -c 64 -d "${WARMUP}s" "http://${hosts%% *}/" >/dev/null 2>&1 || true
  for load in $LOADS; do
    "load_$load" "$t" "$hosts"
  done
  log "$t: conntrack entries in the node namespace: $(ip netns exec "$NS_NODE" \
    cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo unknown)"
}

# ------------------------------------------------------------------------------------------------ report
report() {
  local targets=(direct iptables userspace haproxy) metrics=(tcp1 tcp4 rps p50 p99 retrans cps cp99 synretrans udp udploss)
  declare -A label=([tcp1]="TCP 1 stream (Gbit/s)" [tcp4]="TCP 4 streams (Gbit/s)" [rps]="keep-alive req/s"
    [p50]="keep-alive p50 (ms)" [p99]="keep-alive p99 (ms)" [retrans]="keep-alive retransmits"
    [cps]="new connections/s" [cp99]="new connection p99 (ms)" [synretrans]="new conn. SYN retransmits"
    [udp]="UDP datagrams/s received" [udploss]="UDP loss (%)")
  printf '\n%-26s' "metric"
  printf ' | %-20s' "(a) pod direct" "(b) iptables DNAT" "(c) userspace agent" "(d) HAProxy tcp"
  printf '\n'
  local m t v base
  for m in "${metrics[@]}"; do
    printf '%-26s' "${label[$m]}"
    base=${R[iptables,$m]:-}
    for t in "${targets[@]}"; do
      v=${R[$t,$m]:-}
      if [[ -z $v ]]; then
        printf ' | %-20s' "n/a"
      elif [[ -n $base && $m != @(udploss|synretrans|retrans) ]] && awk -v b="$base" 'BEGIN { exit !(b > 0) }'; then
        printf ' | %-20s' "$v ($(awk -v v="$v" -v b="$base" 'BEGIN { printf "%.2f", v / b }')x)"
      else
        printf ' | %-20s' "$v"
      fi
    done
    printf '\n'
  done
  printf '\nRatios are to (b) iptables DNAT. Each load ran %ss; UDP offered %s bit/s of %s-byte datagrams.\n' \
    "$DURATION" "$UDP_RATE" "$UDP_LEN"
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
for cmd in ip iptables-restore iperf3 wrk nginx jq curl; do
  command -v "$cmd" >/dev/null || die "$cmd is required and could not be installed"
done
log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
setup_topology
start_pods
# kube-proxy's rules are in place for every path, as on a real node: conntrack tracks all of them alike.
setup_iptables
measure direct "$POD1_IP $POD2_IP" || log "(a) failed"
measure iptables "$VIP_IPTABLES" || log "(b) failed"
if start_agent; then measure userspace "$VIP_AGENT" || log "(c) failed"; fi
if start_haproxy; then measure haproxy "$VIP_HAPROXY" || log "(d) failed"; fi
report
