package io.userspaceproxy.agent.sync;

import io.userspaceproxy.core.model.RouteChanges;
import java.util.List;
import java.util.Objects;

/**
 * What one incremental build did: the listeners whose route changed or went away, for the data plane, and the
 * problems and counts of the whole state after it, for logs and metrics.
 *
 * @param changes  exactly the listeners whose route changed or went away
 * @param problems one line per contested listener now (see {@link BuildResult#problems()})
 * @param counts   sizes of the whole state now
 */
public record RouteUpdate(RouteChanges changes, List<String> problems, BuildResult.Counts counts) {

    public RouteUpdate {
        Objects.requireNonNull(changes, "changes");
        problems = List.copyOf(problems);
        Objects.requireNonNull(counts, "counts");
    }
}
