package io.userspaceproxy.agent.watch.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import io.userspaceproxy.agent.config.KubeApiSettings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which API server the agent talks to, from {@code --kubeconfig}, {@code --master} or the pod's environment. */
class ApiClientsTest {

    private static final String KUBECONFIG = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster: {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true}
            users:
            - name: u
              user: {token: secret-token}
            contexts:
            - name: ctx
              context: {cluster: c, user: u, namespace: shop}
            current-context: ctx
            """;

    private static final Function<String, String> NO_ENV = name -> null;

    @TempDir
    Path tmp;

    @Test
    void config_masterOnly_thatServerWithoutCredentials() {
        Config config = ApiClients.config(KubeApiSettings.forMaster(URI.create("http://127.0.0.1:8080")), NO_ENV);

        assertThat(config.getMasterUrl()).isEqualTo("http://127.0.0.1:8080/");
        assertThat(config.getOauthToken()).isNull();
        assertThat(config.getAutoOAuthToken()).isNull();
        assertThat(config.getRequestRetryBackoffLimit()).as("the informers retry, with a log line").isZero();
    }

    @Test
    void config_kubeconfig_currentContextsServerAndToken() throws Exception {
        Path file = Files.writeString(tmp.resolve("kubeconfig"), KUBECONFIG);

        Config config = ApiClients.config(settings(file, null), NO_ENV);

        assertThat(config.getMasterUrl()).isEqualTo("https://10.0.0.1:6443/");
        assertThat(config.getAutoOAuthToken()).isEqualTo("secret-token");
        assertThat(config.getCurrentContext().getName()).isEqualTo("ctx");
    }

    @Test
    void config_kubeconfigAndMaster_masterOverridesServer() throws Exception {
        Path file = Files.writeString(tmp.resolve("kubeconfig"), KUBECONFIG);

        Config config = ApiClients.config(settings(file, URI.create("https://10.0.0.2:6443")), NO_ENV);

        assertThat(config.getMasterUrl()).isEqualTo("https://10.0.0.2:6443/");
        assertThat(config.getAutoOAuthToken()).isEqualTo("secret-token");
        assertThat(config.getCurrentContext().getName()).isEqualTo("ctx");
    }

    @Test
    void config_neitherAndNotInAPod_explainsWhatIsMissing() {
        assertThatThrownBy(() -> ApiClients.config(settings(null, null), NO_ENV))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("neither --kubeconfig nor --master was given, and this is not a pod (KUBERNETES_SERVICE_HOST"
                        + " is not set): cannot find the API server");
    }

    private static KubeApiSettings settings(Path kubeconfig, URI master) {
        return new KubeApiSettings(kubeconfig, master, KubeApiSettings.DEFAULT_CONFIG_SYNC_PERIOD,
                KubeApiSettings.DEFAULT_QPS, KubeApiSettings.DEFAULT_BURST, null);
    }
}
