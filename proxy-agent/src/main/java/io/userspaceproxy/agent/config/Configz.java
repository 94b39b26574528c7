package io.userspaceproxy.agent.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.userspaceproxy.core.model.IpAddresses;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The body of {@code /configz}: the effective configuration as JSON, under kube-proxy's key
 * {@code kubeproxy.config.k8s.io} for the fields kube-proxy has, and under {@code userspace-proxy} for ours.
 * Durations are written as kube-proxy writes them ({@code 250ms}, {@code 1m30s}).
 */
public final class Configz {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Configz() {
    }

    public static String render(AgentConfig c) {
        Map<String, Object> kubeProxy = new LinkedHashMap<>();
        kubeProxy.put("mode", AgentConfig.SUPPORTED_MODE);
        kubeProxy.put("hostnameOverride", c.nodeName());
        kubeProxy.put("bindAddress", c.bindAddress().getHostAddress());
        kubeProxy.put("healthzBindAddress", IpAddresses.format(c.healthzBindAddress()));
        kubeProxy.put("metricsBindAddress", IpAddresses.format(c.metricsBindAddress()));
        kubeProxy.put("nodePortAddresses", c.nodePortAddresses().given());
        kubeProxy.put("syncPeriod", GoDuration.format(c.syncPeriod()));
        kubeProxy.put("minSyncPeriod", GoDuration.format(c.minSyncPeriod()));
        kubeProxy.put("udpIdleTimeout", GoDuration.format(c.udpTimeout()));
        Map<String, Object> ours = new LinkedHashMap<>();
        ours.put("manifests", c.manifests() == null ? null : c.manifests().toAbsolutePath().toString());
        ours.put("tcpIdleTimeout", GoDuration.format(c.tcpIdleTimeout()));
        ours.put("maxUdpFlows", c.maxUdpFlows());
        ours.put("maxHeldConnections", c.maxHeldConnections());
        ours.put("udpReceiveBuffer", c.udpReceiveBuffer());
        ours.put("udpGso", c.udpGso());
        ours.put("metricsServicePorts", c.metricsServicePorts().flagValue());
        ours.put("tcpSpliceThreshold", c.tcpSpliceThreshold());
        ours.put("drainTimeout", GoDuration.format(c.drainTimeout()));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("kubeproxy.config.k8s.io", kubeProxy);
        body.put("userspace-proxy", ours);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render /configz: " + e.getMessage(), e);
        }
    }
}
