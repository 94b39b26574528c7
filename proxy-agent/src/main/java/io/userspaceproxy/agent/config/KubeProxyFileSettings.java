package io.userspaceproxy.agent.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * The fields of a kube-proxy {@code KubeProxyConfiguration} that apply to a userspace proxy. An empty value means
 * the file did not set the field (or set it to its zero value, which kube-proxy treats the same way), so flags and
 * defaults decide; the caller owns that precedence. Used both ways: read from {@code --config}, and written
 * to {@code --write-config-to} filled with the effective values.
 *
 * @param mode              {@code userspace} when set; no other mode is ever accepted
 * @param kubeconfig        {@code clientConnection.kubeconfig}
 * @param qps               {@code clientConnection.qps}, requests per second to the API server
 * @param burst             {@code clientConnection.burst}
 * @param hostnameOverride  the node name to use instead of the host name
 * @param bindAddress       the IP the proxy binds node ports on (kube-proxy's {@code bindAddress})
 * @param healthzBindAddress   {@code ip:port} of the health server
 * @param metricsBindAddress   {@code ip:port} of the metrics server
 * @param nodePortAddresses CIDRs (or {@code primary}) whose addresses serve node ports; empty means all
 * @param syncPeriod        the full resync interval ({@code syncPeriod}, or {@code iptables.syncPeriod})
 * @param minSyncPeriod     the least time between syncs ({@code minSyncPeriod}, or {@code iptables.minSyncPeriod})
 * @param configSyncPeriod  the informers' resync interval
 * @param udpIdleTimeout    how long an idle UDP flow is kept
 * @param verbosity         {@code logging.verbosity}, kube-proxy's {@code -v}
 */
public record KubeProxyFileSettings(
        Optional<String> mode,
        Optional<Path> kubeconfig,
        OptionalDouble qps,
        OptionalInt burst,
        Optional<String> hostnameOverride,
        Optional<InetAddress> bindAddress,
        Optional<InetSocketAddress> healthzBindAddress,
        Optional<InetSocketAddress> metricsBindAddress,
        List<String> nodePortAddresses,
        Optional<Duration> syncPeriod,
        Optional<Duration> minSyncPeriod,
        Optional<Duration> configSyncPeriod,
        Optional<Duration> udpIdleTimeout,
        OptionalInt verbosity) {

    public KubeProxyFileSettings {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(kubeconfig, "kubeconfig");
        Objects.requireNonNull(qps, "qps");
        Objects.requireNonNull(burst, "burst");
        Objects.requireNonNull(hostnameOverride, "hostnameOverride");
        Objects.requireNonNull(bindAddress, "bindAddress");
        Objects.requireNonNull(healthzBindAddress, "healthzBindAddress");
        Objects.requireNonNull(metricsBindAddress, "metricsBindAddress");
        nodePortAddresses = List.copyOf(nodePortAddresses);
        Objects.requireNonNull(syncPeriod, "syncPeriod");
        Objects.requireNonNull(minSyncPeriod, "minSyncPeriod");
        Objects.requireNonNull(configSyncPeriod, "configSyncPeriod");
        Objects.requireNonNull(udpIdleTimeout, "udpIdleTimeout");
        Objects.requireNonNull(verbosity, "verbosity");
        mode.ifPresent(m -> {
            if (!m.equals(KubeProxyConfigurationFile.USERSPACE)) {
                throw new IllegalArgumentException("mode: \"" + m + "\" (expected: \"userspace\")");
            }
        });
        if (qps.isPresent() && !(qps.getAsDouble() >= 0)) {
            throw new IllegalArgumentException("qps: " + qps.getAsDouble() + " (expected: >= 0)");
        }
        if (burst.isPresent() && burst.getAsInt() < 0) {
            throw new IllegalArgumentException("burst: " + burst.getAsInt() + " (expected: >= 0)");
        }
    }

    /** Settings with nothing set: what an empty file says. */
    public static KubeProxyFileSettings empty() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds settings field by field; unset fields stay empty. */
    public static final class Builder {
        private Optional<String> mode = Optional.empty();
        private Optional<Path> kubeconfig = Optional.empty();
        private OptionalDouble qps = OptionalDouble.empty();
        private OptionalInt burst = OptionalInt.empty();
        private Optional<String> hostnameOverride = Optional.empty();
        private Optional<InetAddress> bindAddress = Optional.empty();
        private Optional<InetSocketAddress> healthzBindAddress = Optional.empty();
        private Optional<InetSocketAddress> metricsBindAddress = Optional.empty();
        private List<String> nodePortAddresses = List.of();
        private Optional<Duration> syncPeriod = Optional.empty();
        private Optional<Duration> minSyncPeriod = Optional.empty();
        private Optional<Duration> configSyncPeriod = Optional.empty();
        private Optional<Duration> udpIdleTimeout = Optional.empty();
        private OptionalInt verbosity = OptionalInt.empty();

        private Builder() {
        }

        public Builder mode(String value) {
            mode = Optional.of(value);
            return this;
        }

        public Builder kubeconfig(Path value) {
            kubeconfig = Optional.of(value);
            return this;
        }

        public Builder qps(double value) {
            qps = OptionalDouble.of(value);
            return this;
        }

        public Builder burst(int value) {
            burst = OptionalInt.of(value);
            return this;
        }

        public Builder hostnameOverride(String value) {
            hostnameOverride = Optional.of(value);
            return this;
        }

        public Builder bindAddress(InetAddress value) {
            bindAddress = Optional.of(value);
            return this;
        }

        public Builder healthzBindAddress(InetSocketAddress value) {
            healthzBindAddress = Optional.of(value);
            return this;
        }

        public Builder metricsBindAddress(InetSocketAddress value) {
            metricsBindAddress = Optional.of(value);
            return this;
        }

        public Builder nodePortAddresses(List<String> value) {
            nodePortAddresses = List.copyOf(value);
            return this;
        }

        public Builder syncPeriod(Duration value) {
            syncPeriod = Optional.of(value);
            return this;
        }

        public Builder minSyncPeriod(Duration value) {
            minSyncPeriod = Optional.of(value);
            return this;
        }

        public Builder configSyncPeriod(Duration value) {
            configSyncPeriod = Optional.of(value);
            return this;
        }

        public Builder udpIdleTimeout(Duration value) {
            udpIdleTimeout = Optional.of(value);
            return this;
        }

        public Builder verbosity(int value) {
            verbosity = OptionalInt.of(value);
            return this;
        }

        public KubeProxyFileSettings build() {
            return new KubeProxyFileSettings(mode, kubeconfig, qps, burst, hostnameOverride, bindAddress,
                    healthzBindAddress, metricsBindAddress, nodePortAddresses, syncPeriod, minSyncPeriod,
                    configSyncPeriod, udpIdleTimeout, verbosity);
        }
    }
}
