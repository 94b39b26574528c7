package io.userspaceproxy.agent.config;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * A YAML document read into a small tree that remembers the line of every key, which Jackson's {@code JsonNode}
 * forgets. Built from Jackson's streaming YAML parser (the one fabric8 already brings), one token at a time.
 */
final class YamlTree {

    private static final YAMLFactory FACTORY = YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** Any node; {@code line} is 1-based, where the node starts. */
    sealed interface Node permits Scalar, Mapping, Sequence {
        int line();

        /** True for null, "", {} and []: what generated files write for fields left at their defaults. */
        boolean isEmpty();
    }

    /** A scalar as the YAML parser typed it: a string, number, boolean or null token. */
    record Scalar(JsonToken token, String text, int line) implements Node {
        @Override
        public boolean isEmpty() {
            return token == JsonToken.VALUE_NULL || (token == JsonToken.VALUE_STRING && text.isEmpty());
        }
    }

    /** A mapping; each field keeps the line of its key. */
    record Mapping(Map<String, Field> fields, int line) implements Node {
        @Override
        public boolean isEmpty() {
            return fields.isEmpty();
        }
    }

    /** One key of a mapping: its line, and its value. */
    record Field(int line, Node value) {
    }

    record Sequence(List<Node> items, int line) implements Node {
        @Override
        public boolean isEmpty() {
            return items.isEmpty();
        }
    }

    private YamlTree() {
    }

    /** Reads the single YAML document in {@code yaml}; {@code source} names it in errors. */
    static Node read(String yaml, String source) throws ConfigFileException {
        try (JsonParser parser = FACTORY.createParser(yaml)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new ConfigFileException(source, 1, "empty file (expected: a KubeProxyConfiguration)");
            }
            Node root = node(parser, source);
            if (parser.nextToken() != null) {
                throw new ConfigFileException(source, line(parser),
                        "a second YAML document (expected: one KubeProxyConfiguration)");
            }
            return root;
        } catch (JsonParseException e) {
            throw syntaxError(e, source);
        } catch (IOException e) {
            throw new ConfigFileException(source, "cannot read YAML", e);
        }
    }

    /** SnakeYAML's own error, when it is the cause, says what and where more precisely than Jackson's wrapper. */
    private static ConfigFileException syntaxError(JsonParseException e, String source) {
        if (e.getCause() instanceof MarkedYAMLException yaml && yaml.getProblemMark() != null) {
            String context = yaml.getContext() == null ? "" : yaml.getContext() + ": ";
            return new ConfigFileException(source, yaml.getProblemMark().getLine() + 1,
                    "invalid YAML: " + context + yaml.getProblem());
        }
        int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
        return new ConfigFileException(source, line, "invalid YAML: " + e.getOriginalMessage().strip().lines()
                .findFirst().orElse("syntax error"));
    }

    private static Node node(JsonParser parser, String source) throws IOException, ConfigFileException {
        int line = line(parser);
        JsonToken token = parser.currentToken();
        if (token == JsonToken.START_OBJECT) {
            Map<String, Field> fields = new LinkedHashMap<>();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                int keyLine = line(parser);
                parser.nextToken();
                fields.put(name, new Field(keyLine, node(parser, source)));
            }
            return new Mapping(Collections.unmodifiableMap(fields), line);
        }
        if (token == JsonToken.START_ARRAY) {
            List<Node> items = new ArrayList<>();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                items.add(node(parser, source));
            }
            return new Sequence(List.copyOf(items), line);
        }
        if (token != null && token.isScalarValue()) {
            return new Scalar(token, token == JsonToken.VALUE_NULL ? "" : parser.getText(), line);
        }
        throw new ConfigFileException(source, line, "unsupported YAML construct " + token);
    }

    private static int line(JsonParser parser) {
        return parser.currentTokenLocation().getLineNr();
    }
}
