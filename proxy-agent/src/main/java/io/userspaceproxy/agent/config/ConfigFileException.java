package io.userspaceproxy.agent.config;

import org.jspecify.annotations.Nullable;

/**
 * A configuration file that cannot be used as it is. The message starts with {@code source:line:} and names the
 * field, e.g. {@code config.yaml:7: unknown field "foo"}, so an operator can go straight to the line.
 */
public final class ConfigFileException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String source;
    private final int line;

    ConfigFileException(String source, int line, String problem) {
        super(source + ":" + line + ": " + problem);
        this.source = source;
        this.line = line;
    }

    ConfigFileException(String source, String problem, @Nullable Throwable cause) {
        super(source + ": " + problem, cause);
        this.source = source;
        this.line = 0;
    }

    /** The file (or other source) as named to the reader. */
    public String source() {
        return source;
    }

    /** The 1-based line of the offending field, or 0 when the problem is not on one line (e.g. unreadable file). */
    public int line() {
        return line;
    }
}
