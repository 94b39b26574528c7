package io.userspaceproxy.agent.sync;

import io.userspaceproxy.core.model.RouteSnapshot;
import java.util.List;
import java.util.Objects;

/**
 * What one {@link SnapshotBuilder#build} produced.
 *
 * @param snapshot the listeners and routes to serve
 * @param problems human-readable reasons why something in the cluster state is not served as asked (for example
 *                 two Services claiming one NodePort), each naming the Services involved; log them, they are not
 *                 errors of the build
 * @param counts   sizes of what was built, for logs and metrics
 */
public record BuildResult(RouteSnapshot snapshot, List<String> problems, Counts counts) {

    public BuildResult {
        Objects.requireNonNull(snapshot, "snapshot");
        problems = List.copyOf(problems);
        Objects.requireNonNull(counts, "counts");
    }

    /**
     * @param services                  Services served (with at least one virtual IP)
     * @param skippedServices           headless and ExternalName Services, which get no listener
     * @param servicePorts              ports of the served Services
     * @param listeners                 listeners in the snapshot
     * @param listenersWithoutEndpoints listeners whose route has no usable endpoint (connections are refused)
     * @param conflicts                 listener claims dropped because another service port held the listener
     */
    public record Counts(
            int services,
            int skippedServices,
            int servicePorts,
            int listeners,
            int listenersWithoutEndpoints,
            int conflicts) {
    }
}
