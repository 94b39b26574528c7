package io.userspaceproxy.agent.watch.convert;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Collects what is wrong with one object while it is converted, so that all problems are reported together rather
 * than the first only. Messages follow {@code <subject>: <path>: <value> (expected: <what>)}. Warnings (something
 * ignored, the rest still served) go straight to the caller's sink. Not thread-safe; one per conversion.
 */
final class ConversionReport {

    private final String subject;
    private final Consumer<String> warnings;
    private final List<String> errors = new ArrayList<>();

    ConversionReport(String subject, Consumer<String> warnings) {
        this.subject = subject;
        this.warnings = warnings;
    }

    /** {@code value} is quoted when it is a string, so that {@code ""} and blanks stay visible. */
    void invalid(String path, @Nullable Object value, String expected) {
        errors.add(subject + ": " + path + ": " + render(value) + " (expected: " + expected + ")");
    }

    void missing(String path, String expected) {
        errors.add(subject + ": " + path + ": missing (expected: " + expected + ")");
    }

    void warn(String message) {
        warnings.accept(subject + ": " + message);
    }

    boolean hasErrors() {
        return !errors.isEmpty();
    }

    void throwIfAny() {
        if (!errors.isEmpty()) {
            throw new InvalidResourceException(errors);
        }
    }

    static String render(@Nullable Object value) {
        return value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
    }
}
