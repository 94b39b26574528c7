package io.userspaceproxy.agent.watch.convert;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import org.jspecify.annotations.Nullable;

/**
 * Reads the {@value KubernetesObjects#LAST_CHANGE_TRIGGER_TIME_ANNOTATION} annotation that the EndpointSlice
 * controller puts on a slice: the time of the event (a pod turning ready, a Service update) that made the
 * controller write this version of the slice. The controller writes Go's RFC 3339 with nanoseconds in UTC
 * ({@code 2024-05-01T12:00:00.123456789Z}); any RFC 3339 offset is accepted.
 */
final class ChangeTriggerTime {

    private ChangeTriggerTime() {
    }

    /**
     * @return the instant, or null when {@code value} is null or empty
     * @throws IllegalArgumentException when {@code value} is not an RFC 3339 date-time
     */
    static @Nullable Instant parse(@Nullable String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value.trim(), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(ConversionReport.render(value)
                    + " (expected: an RFC 3339 time such as 2024-05-01T12:00:00.5Z)", e);
        }
    }
}
