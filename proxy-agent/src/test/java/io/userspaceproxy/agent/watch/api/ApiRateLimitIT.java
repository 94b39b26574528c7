package io.userspaceproxy.agent.watch.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.userspaceproxy.agent.config.KubeApiSettings;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code --kube-api-qps}/{@code --kube-api-burst} reach the client the agent builds: requests past the burst wait. */
@EnableKubernetesMockClient(crud = true, https = false)
@Timeout(30)
class ApiRateLimitIT {

    KubernetesClient client;

    @Test
    void create_qpsAndBurst_requestsPastTheBurstWaitForTokens() {
        KubeApiSettings settings = new KubeApiSettings(null, URI.create(client.getMasterUrl().toString()),
                KubeApiSettings.DEFAULT_CONFIG_SYNC_PERIOD, 4, 1, null);
        try (KubernetesClient limited = ApiClients.create(settings)) {
            limited.services().inAnyNamespace().list(); // warms the client up; the bucket may refill meanwhile
            long start = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                limited.services().inAnyNamespace().list();
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(took).as("of three requests with a burst of 1 at 4 per second, two wait 250 ms each")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(450));
        }
    }
}
