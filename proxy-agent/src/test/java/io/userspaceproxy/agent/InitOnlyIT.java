package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code --init-only} pointed at an API server (fabric8's mock): node set-up is local work, so it exits 0 without a
 * single request and without binding a listener. What it does to the node's interfaces is in
 * {@link InitOnlyNetnsIT}.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Timeout(60)
class InitOnlyIT {

    KubernetesClient client;
    KubernetesMockServer server;

    @Test
    void initOnly_onACluster_exitsZeroWithoutTalkingToTheApiServer() {
        int before = server.getRequestCount();

        int status = Main.run("--init-only", "--master", client.getMasterUrl().toString(), "--vip-interface", "none",
                "--metrics-bind-address", "127.0.0.1:0", "--healthz-bind-address", "127.0.0.1:0");

        assertThat(status).isZero();
        assertThat(server.getRequestCount()).isEqualTo(before);
    }
}
