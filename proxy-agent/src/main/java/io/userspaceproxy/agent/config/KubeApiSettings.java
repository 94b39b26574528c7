package io.userspaceproxy.agent.config;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * How the agent reaches the API server and which Services it takes, validated from the command line. Used only
 * when the agent runs on a cluster (no {@code --manifests}).
 *
 * @param kubeconfig       nullable: {@code --kubeconfig}, a kubeconfig file (its current context is used)
 * @param master           nullable: {@code --master}, the API server URL; overrides the kubeconfig's server.
 *                         With neither, the in-cluster configuration (service account) is used, as in kube-proxy
 * @param configSyncPeriod {@code --config-sync-period}: how often the informers re-deliver every object (resync)
 * @param qps              {@code --kube-api-qps}: sustained requests per second to the API server
 * @param burst            {@code --kube-api-burst}: requests that may go at once before {@code qps} applies
 * @param serviceProxyName nullable: {@code --service-proxy-name}; when set, only Services labelled
 *                         {@code service.kubernetes.io/service-proxy-name} with this value are served; when null,
 *                         only Services without that label (kube-proxy's rule)
 */
public record KubeApiSettings(@Nullable Path kubeconfig, @Nullable URI master, Duration configSyncPeriod, double qps,
        int burst, @Nullable String serviceProxyName) {

    /** A label value: at most 63 characters, alphanumeric at both ends, with {@code -_.} inside. */
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)");

    public static final Duration DEFAULT_CONFIG_SYNC_PERIOD = Duration.ofMinutes(15);
    public static final double DEFAULT_QPS = 5;
    public static final int DEFAULT_BURST = 10;

    public KubeApiSettings {
        Objects.requireNonNull(configSyncPeriod, "configSyncPeriod");
        if (configSyncPeriod.isNegative()) {
            throw new IllegalArgumentException("configSyncPeriod: " + configSyncPeriod + " (expected: >= 0)");
        }
        if (!(qps > 0) || Double.isInfinite(qps)) {
            throw new IllegalArgumentException("qps: " + qps + " (expected: > 0)");
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
        }
    }

    /** Settings for the API server at {@code master}, with kube-proxy's defaults otherwise. */
    public static KubeApiSettings forMaster(URI master) {
        return new KubeApiSettings(null, master, DEFAULT_CONFIG_SYNC_PERIOD, DEFAULT_QPS, DEFAULT_BURST, null);
    }

    /** True when neither a kubeconfig nor a master URL was given: the service account's configuration applies. */
    public boolean inCluster() {
        return kubeconfig == null && master == null;
    }

    static KubeApiSettings from(KubernetesOptions o) {
        Path kubeconfig = null;
        if (o.kubeconfig != null) {
            kubeconfig = o.kubeconfig;
            if (!Files.isRegularFile(kubeconfig) || !Files.isReadable(kubeconfig)) {
                throw new IllegalArgumentException("--kubeconfig: " + kubeconfig + " (expected: a readable file)");
            }
        }
        URI master = o.master == null || o.master.isBlank() ? null : master(o.master.trim());
        Duration resync;
        try {
            resync = GoDuration.parse(o.configSyncPeriod);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--config-sync-period: " + e.getMessage(), e);
        }
        if (resync.isNegative()) {
            throw new IllegalArgumentException("--config-sync-period: " + o.configSyncPeriod + " (expected: >= 0)");
        }
        if (!(o.kubeApiQps > 0) || Double.isInfinite(o.kubeApiQps)) {
            throw new IllegalArgumentException("--kube-api-qps: " + o.kubeApiQps + " (expected: > 0)");
        }
        if (o.kubeApiBurst < 1) {
            throw new IllegalArgumentException("--kube-api-burst: " + o.kubeApiBurst + " (expected: >= 1)");
        }
        String name = o.serviceProxyName == null ? null : o.serviceProxyName.trim();
        if (name != null && !LABEL_VALUE.matcher(name).matches()) {
            throw new IllegalArgumentException("--service-proxy-name: \"" + o.serviceProxyName + "\" (expected: a"
                    + " label value: 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or"
                    + " digit)");
        }
        return new KubeApiSettings(kubeconfig, master, resync, o.kubeApiQps, o.kubeApiBurst, name);
    }

    private static URI master(String value) {
        try {
            URI uri = new URI(value);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return uri;
            }
        } catch (java.net.URISyntaxException e) {
            // reported below
        }
        throw new IllegalArgumentException("--master: \"" + value + "\" (expected: the API server's URL, such as"
                + " https://10.0.0.1:6443)");
    }
}
