#!/usr/bin/env bash
# How much direct memory the agent takes under four loads (BENCHMARKS.md, "Issue 11: direct memory"), run with the
# container image's JVM flags (read from deploy/Dockerfile's JAVA_TOOL_OPTIONS) on the image's JDK, all on loopback:
# idle connections, UDP flows, one bulk transfer to a slow reader, and many connections whose readers never read.
# The loads and the readings are benchmarks/src/main/java/io/userspaceproxy/bench/relay/DirectMemoryLoad.java, run
# from the benchmarks jar. Each configuration in CONFIGS starts its own agent, runs every phase, stops it.
#
# Usage: benchmarks/e2e/direct-memory.sh
# Environment (defaults):
#   JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java  the image's JDK
#   AGENT_JAR=proxy-agent/target/proxy-agent.jar     both built by mvn -B -q -o -DskipTests package
#   BENCH_JAR=benchmarks/target/benchmarks.jar
#   AGENT_MAX_RAM=512m    what -XX:MaxRAMPercentage applies to: the DaemonSet's memory limit
#   IDLE=9000             idle connections: two descriptors each in the agent and two in the load, under the
#                         open-files limit of 20,000 (10,000 would not fit)
#   FLOWS=10000 BULK_MIB=64 SLOW=3000
#   CONFIGS="default|--tcp-splice-threshold=0"  '|'-separated sets of extra agent flags; "default" means none
#   UDP_SERVICES=0        further UDP Services, each on a VIP of its own (127.0.78.x, at most 250) with no traffic:
#                         their listener sockets are in every reading, from the baseline on
#   EXTRA_JAVA_OPTS=""    appended to the image's flags (e.g. -XX:MaxDirectMemorySize=256m to try a size)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
AGENT_JAR=${AGENT_JAR:-"$ROOT/proxy-agent/target/proxy-agent.jar"}
AGENT_MAX_RAM=${AGENT_MAX_RAM:-512m}
IDLE=${IDLE:-9000} FLOWS=${FLOWS:-10000} BULK_MIB=${BULK_MIB:-64} SLOW=${SLOW:-3000}
CONFIGS=${CONFIGS:-"default|--tcp-splice-threshold=0"}
UDP_SERVICES=${UDP_SERVICES:-0}
((UDP_SERVICES <= 250)) || { echo "UDP_SERVICES=$UDP_SERVICES: at most 250 (one VIP each in 127.0.78.0/24)" >&2; exit 2; }
EXTRA_JAVA_OPTS=${EXTRA_JAVA_OPTS:-}
IMAGE_JAVA_OPTS=$(sed -n 's/^ENV JAVA_TOOL_OPTIONS="\(.*\)"$/\1/p' "$ROOT/deploy/Dockerfile")
VIP=127.0.77.1 TCP_BACKEND=17000 UDP_BACKEND=17053 METRICS=18249 HEALTH=18256
BENCH_JAR=${BENCH_JAR:-"$ROOT/benchmarks/target/benchmarks.jar"}
WORK=$(mktemp -d)
AGENT_PID=
cleanup() { [[ -n $AGENT_PID ]] && kill "$AGENT_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

mkdir -p "$WORK/manifests"
cat >"$WORK/manifests/load.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: load, namespace: bench}
spec:
  type: ClusterIP
  clusterIP: $VIP
  ports:
  - {name: tcp, port: 7000, targetPort: $TCP_BACKEND, protocol: TCP}
  - {name: udp, port: 7053, targetPort: $UDP_BACKEND, protocol: UDP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: load-1, namespace: bench, labels: {kubernetes.io/service-name: load}}
addressType: IPv4
ports:
- {name: tcp, port: $TCP_BACKEND, protocol: TCP}
- {name: udp, port: $UDP_BACKEND, protocol: UDP}
endpoints:
- {addresses: ["127.0.0.1"], conditions: {ready: true}}
YAML

for ((i = 1; i <= UDP_SERVICES; i++)); do
  cat >>"$WORK/manifests/load.yaml" <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: quiet-$i, namespace: bench}
spec:
  type: ClusterIP
  clusterIP: 127.0.78.$i
  ports:
  - {name: udp, port: 7053, targetPort: $UDP_BACKEND, protocol: UDP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: quiet-$i, namespace: bench, labels: {kubernetes.io/service-name: quiet-$i}}
addressType: IPv4
ports:
- {name: udp, port: $UDP_BACKEND, protocol: UDP}
endpoints:
- {addresses: ["127.0.0.1"], conditions: {ready: true}}
YAML
done

echo "# $(date -u +%FT%TZ) $("$JAVA" -version 2>&1 | head -1); nproc $(nproc); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# JAVA_TOOL_OPTIONS=$IMAGE_JAVA_OPTS -XX:MaxRAM=$AGENT_MAX_RAM $EXTRA_JAVA_OPTS; UDP_SERVICES=$UDP_SERVICES"
IFS='|' read -r -a configs <<<"$CONFIGS"
for config in "${configs[@]}"; do
  flags=(); [[ $config != default ]] && read -r -a flags <<<"$config"
  echo "## agent flags: ${config}"
  # shellcheck disable=SC2086 # the image's flags are one space-separated line
  JAVA_TOOL_OPTIONS="$IMAGE_JAVA_OPTS -XX:MaxRAM=$AGENT_MAX_RAM $EXTRA_JAVA_OPTS" "$JAVA" -jar "$AGENT_JAR" \
    --manifests "$WORK/manifests" --udp-timeout=30s --metrics-bind-address="127.0.0.1:$METRICS" \
    --healthz-bind-address="127.0.0.1:$HEALTH" "${flags[@]}" >"$WORK/agent.log" 2>&1 &
  AGENT_PID=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$METRICS/metrics" | grep -q 'userspace_proxy_connections_active{' && break
    sleep 0.2
  done
  "$JAVA" -cp "$BENCH_JAR" io.userspaceproxy.bench.relay.DirectMemoryLoad "$VIP:7000" "$VIP:7053" "$TCP_BACKEND" "$UDP_BACKEND" "$METRICS" "$IDLE" "$FLOWS" "$BULK_MIB" "$SLOW" \
    || { echo "load failed; the agent log ends:"; tail -20 "$WORK/agent.log"; }
  kill -0 "$AGENT_PID" 2>/dev/null && echo "agent alive after the run" || { echo "AGENT DIED"; tail -20 "$WORK/agent.log"; }
  grep -ci "OutOfMemoryError:\|OutOfDirectMemory\|Cannot reserve" "$WORK/agent.log" | sed 's/^/out-of-memory lines in the agent log: /' || true
  kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; AGENT_PID=
done
