package io.userspaceproxy.agent.watch.api;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.userspaceproxy.agent.config.KubeApiSettings;
import java.nio.file.Files;
import java.util.function.Function;

/**
 * Builds the API client from the command line, the way kube-proxy's {@code clientcmd.BuildConfigFromFlags} does:
 * a kubeconfig when {@code --kubeconfig} is given (its current context), with {@code --master} overriding its
 * server; {@code --master} alone for an unauthenticated or proxied API server; neither: the in-cluster
 * configuration, that is the pod's service account token and CA with the {@code KUBERNETES_SERVICE_HOST} address
 * (fabric8's auto-configuration, which re-reads a rotated token). Every request goes through an
 * {@link ApiRateLimiter} with the configured QPS and burst.
 */
final class ApiClients {

    static final String RATE_LIMITER = "userspace-proxy-rate-limit";

    private ApiClients() {
    }

    static KubernetesClient create(KubeApiSettings settings) {
        return create(settings, System::getenv);
    }

    static KubernetesClient create(KubeApiSettings settings, Function<String, String> env) {
        Config config = config(settings, env);
        ApiRateLimiter limiter = new ApiRateLimiter(settings.qps(), settings.burst());
        return new KubernetesClientBuilder().withConfig(config)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor(RATE_LIMITER, limiter))
                .build();
    }

    /**
     * @throws IllegalStateException when neither a kubeconfig nor a master is given and this is not a pod
     *                               ({@code KUBERNETES_SERVICE_HOST} unset), or the kubeconfig cannot be read
     */
    static Config config(KubeApiSettings settings, Function<String, String> env) {
        Config config;
        if (settings.kubeconfig() != null) {
            if (!Files.isReadable(settings.kubeconfig())) {
                throw new IllegalStateException("--kubeconfig: cannot read " + settings.kubeconfig());
            }
            config = Config.fromKubeconfig(settings.kubeconfig().toFile());
        } else if (settings.master() != null) {
            config = new ConfigBuilder(Config.empty()).build();
        } else {
            String host = env.apply(Config.KUBERNETES_SERVICE_HOST_PROPERTY);
            if (host == null || host.isBlank()) {
                throw new IllegalStateException("neither --kubeconfig nor --master was given, and this is not a pod"
                        + " (" + Config.KUBERNETES_SERVICE_HOST_PROPERTY + " is not set): cannot find the API server");
            }
            config = Config.autoConfigure(null);
        }
        if (settings.master() != null) {
            config.setMasterUrl(settings.master().toString());
        }
        config.setRequestRetryBackoffLimit(0);
        return config;
    }
}
