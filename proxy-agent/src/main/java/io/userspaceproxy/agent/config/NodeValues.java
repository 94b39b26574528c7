package io.userspaceproxy.agent.config;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads typed values out of the nodes of one YAML source, as a KubeProxyConfiguration types them: zero values
 * ({@code null}, {@code ""}, {@code 0}, {@code 0s}) read as absent, and every bad value fails with a
 * {@link ConfigFileException} naming the source, the line, the field and what was expected.
 */
final class NodeValues {

    private final String source;

    NodeValues(String source) {
        this.source = source;
    }

    Optional<String> string(Node value, String path) throws ConfigFileException {
        if (YamlNodes.isEmpty(value)) {
            return Optional.empty();
        }
        if (YamlNodes.isString(value)) {
            return Optional.of(((ScalarNode) value).getValue());
        }
        throw error(value, path + ": " + YamlNodes.describe(value) + " (expected: a string)");
    }

    /** A duration other than zero, with the text it was read from. */
    Optional<Text<Duration>> duration(Node value, String path) throws ConfigFileException {
        if (value instanceof ScalarNode scalar && !YamlNodes.isEmpty(scalar) && !YamlNodes.isString(scalar)) {
            throw error(value, path + ": " + scalar.getValue() + " (expected: a duration such as 30s or 1m30s)");
        }
        Optional<String> text = string(value, path);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Duration d = convert(value, path, text.get(), GoDuration::parse);
        if (d.isNegative()) {
            throw error(value, path + ": " + text.get() + " (expected: >= 0)");
        }
        return d.isZero() ? Optional.empty() : Optional.of(new Text<>(d, text.get()));
    }

    /** A number other than zero. */
    Optional<Double> number(Node value, String path, boolean integer) throws ConfigFileException {
        if (YamlNodes.isEmpty(value)) {
            return Optional.empty();
        }
        String expected = integer ? "an integer" : "a number";
        if (!(value instanceof ScalarNode scalar) || !(integer ? Tag.INT.equals(value.getTag())
                : YamlNodes.isNumber(value))) {
            throw error(value, path + ": " + YamlNodes.describe(value) + " (expected: " + expected + ")");
        }
        double d = convert(value, path, scalar.getValue(), t -> {
            try {
                return Double.parseDouble(t);
            } catch (NumberFormatException e) { // YAML 1.1 spellings such as 0x1F or 1_000
                throw new IllegalArgumentException(t + " (expected: " + expected + " in decimal)", e);
            }
        });
        if (d < 0 || (integer && d > Integer.MAX_VALUE)) {
            throw error(value, path + ": " + scalar.getValue() + " (expected: >= 0"
                    + (integer ? " and <= " + Integer.MAX_VALUE : "") + ")");
        }
        if (d == 0) {
            return Optional.empty();
        }
        return Optional.of(d);
    }

    MappingNode mapping(Node node, String what) throws ConfigFileException {
        if (node instanceof MappingNode m) {
            return m;
        }
        throw error(node, what + ": " + YamlNodes.describe(node) + " (expected: a mapping of fields)");
    }

    Map<String, NodeTuple> fields(MappingNode mapping) throws ConfigFileException {
        return YamlNodes.fields(mapping, source);
    }

    /** Applies a parser that reports bad input with {@link IllegalArgumentException}, adding the line and field. */
    <T> T convert(Node node, String path, String text, Parser<T> parser) throws ConfigFileException {
        try {
            return parser.parse(text);
        } catch (IllegalArgumentException e) { // InvalidPathException is one too
            throw error(node, path + ": " + e.getMessage());
        }
    }

    /** A parser from text, throwing {@link IllegalArgumentException} with its reason. */
    interface Parser<T> {
        T parse(String text);
    }

    /** A value read from the file, and the text it was read from. */
    record Text<T>(T value, String text) {
    }

    ConfigFileException error(Node node, String problem) {
        return new ConfigFileException(source, YamlNodes.line(node), problem);
    }
}
