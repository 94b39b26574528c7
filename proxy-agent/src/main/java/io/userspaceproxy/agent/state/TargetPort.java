package io.userspaceproxy.agent.state;

import java.util.Objects;

/**
 * A Service port's {@code targetPort}: a container port number, or the name of a container port. It is carried
 * for completeness and diagnostics only; the EndpointSlice controller already resolved it into the slices' ports,
 * which is where the proxy takes backend ports from.
 *
 * @param number the port number, or 0 when the target is named
 * @param name   the port name, or {@code ""} when the target is a number
 */
public record TargetPort(int number, String name) {

    public TargetPort {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() == (number == 0)) {
            throw new IllegalArgumentException(
                    "targetPort: number " + number + ", name \"" + name + "\" (expected: exactly one of them)");
        }
        if (number < 0 || number > 65535) {
            throw new IllegalArgumentException("targetPort: " + number + " (expected: 1..65535)");
        }
    }

    public static TargetPort number(int number) {
        return new TargetPort(number, "");
    }

    public static TargetPort named(String name) {
        return new TargetPort(0, name);
    }

    public boolean isNamed() {
        return !name.isEmpty();
    }

    @Override
    public String toString() {
        return isNamed() ? name : Integer.toString(number);
    }
}
