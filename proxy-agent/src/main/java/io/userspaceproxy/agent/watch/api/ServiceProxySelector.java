package io.userspaceproxy.agent.watch.api;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Which Services and EndpointSlices belong to this proxy, by kube-proxy's label rule: never those labelled
 * {@value #HEADLESS_LABEL} (the endpoint controllers put it on the slices of headless Services), and of those
 * labelled {@value #SERVICE_PROXY_NAME_LABEL} (an alternative proxy's Services; the EndpointSlice controller copies
 * the label onto their slices) only the ones naming this proxy.
 *
 * <ul>
 *   <li>without a proxy name (kube-proxy's behaviour): Services without the proxy-name label, that is
 *       {@code !service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name};</li>
 *   <li>with a proxy name (running beside kube-proxy): only Services carrying it,
 *       {@code !service.kubernetes.io/headless,service.kubernetes.io/service-proxy-name=NAME}; kube-proxy skips
 *       those very Services, so the two never serve the same one.</li>
 * </ul>
 *
 * <p>The rule is applied twice, on purpose: as the informers' label selector, so the API server sends only our
 * objects (and sends a delete when an object's labels change so that it no longer matches), and again in the event
 * handlers by {@link #accepts}, so that an object that does not match is never served whatever the server sent.
 * Immutable.
 */
public final class ServiceProxySelector {

    public static final String SERVICE_PROXY_NAME_LABEL = "service.kubernetes.io/service-proxy-name";
    public static final String HEADLESS_LABEL = "service.kubernetes.io/headless";

    private final @Nullable String proxyName;

    private ServiceProxySelector(@Nullable String proxyName) {
        this.proxyName = proxyName;
    }

    /** @param proxyName nullable: this proxy's {@code --service-proxy-name} */
    public static ServiceProxySelector of(@Nullable String proxyName) {
        return new ServiceProxySelector(proxyName == null || proxyName.isEmpty() ? null : proxyName);
    }

    /** True when an object with these labels (null: none) is this proxy's. */
    public boolean accepts(@Nullable Map<String, String> labels) {
        if (labels == null) {
            return proxyName == null;
        }
        if (labels.containsKey(HEADLESS_LABEL)) {
            return false;
        }
        String name = labels.get(SERVICE_PROXY_NAME_LABEL);
        return proxyName == null ? !labels.containsKey(SERVICE_PROXY_NAME_LABEL) : proxyName.equals(name);
    }

    /** The same rule as a Kubernetes label selector, for list and watch requests. */
    public String labelSelector() {
        return "!" + HEADLESS_LABEL + "," + (proxyName == null
                ? "!" + SERVICE_PROXY_NAME_LABEL
                : SERVICE_PROXY_NAME_LABEL + "=" + proxyName);
    }

    @Override
    public String toString() {
        return labelSelector();
    }
}
