package io.userspaceproxy.agent.watch.convert;

import java.util.List;

/**
 * A Kubernetes object (or a manifest file) that cannot be served as written. Each problem is one sentence that
 * names the object, the field path, the bad value and what was expected, e.g.
 * {@code Service demo/echo: spec.ports[0].port: 70000 (expected: 1..65535)}. The message joins them with
 * {@code "; "}, so one log line shows every problem at once.
 */
public final class InvalidResourceException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public InvalidResourceException(List<String> problems) {
        super(String.join("; ", problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("problems: [] (expected: at least one)");
        }
        this.problems = List.copyOf(problems);
    }

    public InvalidResourceException(String problem) {
        this(List.of(problem));
    }

    /** Every problem found, in document and field order. */
    public List<String> problems() {
        return problems;
    }
}
