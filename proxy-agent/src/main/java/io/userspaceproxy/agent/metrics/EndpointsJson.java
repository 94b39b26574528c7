package io.userspaceproxy.agent.metrics;

import io.userspaceproxy.agent.http.Json;
import io.userspaceproxy.core.listen.EndpointView;
import io.userspaceproxy.core.listen.EndpointView.EndpointState;
import io.userspaceproxy.core.listen.ListenerSet;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.ServicePortName;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The body of {@code /endpoints?service=namespace/name}: every endpoint of the Service's ports as this node's data
 * plane sees it, one per line: open connections, failed connects, ejections, and whether it is out of picks now.
 *
 * <pre>{@code
 * {"service": "shop/web", "endpoints": [
 *   {"servicePort": "shop/web:http", "endpoint": "10.244.1.5:8080", "openConnections": 3, "connectFailures": 4,
 *    "ejections": 1, "ejected": true, "ejectedForSeconds": 7.512, "unhealthy": false}
 * ]}
 * }</pre>
 * A missing or malformed {@code service} answers 400; a Service this node does not serve lists no endpoint.
 */
public final class EndpointsJson implements Function<Map<String, String>, String> {

    private final Function<Predicate<ServicePortName>, List<EndpointState>> view;

    EndpointsJson(Function<Predicate<ServicePortName>, List<EndpointState>> view) {
        this.view = view;
    }

    /** The view of {@code listeners}' endpoints, for {@link MetricsServer.Builder#endpoints(Function)}. */
    public static EndpointsJson of(ListenerSet listeners) {
        return new EndpointsJson(which -> EndpointView.of(listeners, which));
    }

    @Override
    public String apply(Map<String, String> query) {
        String service = query.get("service");
        int slash = service == null ? -1 : service.indexOf('/');
        if (service == null || slash <= 0 || slash == service.length() - 1) {
            throw new IllegalArgumentException("service: " + service + " (expected: namespace/name)");
        }
        String namespace = service.substring(0, slash);
        String name = service.substring(slash + 1);
        return render(service, view.apply(p -> p.namespace().equals(namespace) && p.name().equals(name)));
    }

    static String render(String service, List<EndpointState> states) {
        StringBuilder json = Json.quote(new StringBuilder(64 + 200 * states.size()).append("{\"service\": "), service)
                .append(", \"endpoints\": [");
        for (int i = 0; i < states.size(); i++) {
            EndpointState s = states.get(i);
            json.append(i == 0 ? "\n  " : ",\n  ");
            Json.quote(json.append("{\"servicePort\": "), s.servicePort().toString());
            Json.quote(json.append(", \"endpoint\": "), IpAddresses.format(s.endpoint().address()));
            json.append(", \"openConnections\": ").append(s.openConnections())
                    .append(", \"connectFailures\": ").append(s.connectFailures())
                    .append(", \"ejections\": ").append(s.ejections())
                    .append(", \"ejected\": ").append(s.ejectedForNanos() > 0)
                    .append(", \"ejectedForSeconds\": ").append(s.ejectedForNanos() / 1_000_000 / 1000.0)
                    .append(", \"unhealthy\": ").append(s.unhealthy()).append('}');
        }
        return json.append(states.isEmpty() ? "]}\n" : "\n]}\n").toString();
    }
}
