package io.userspaceproxy.agent.config;

import java.io.StringReader;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * One YAML document composed into SnakeYAML's node tree, which keeps the line of every key and value (Jackson's
 * {@code JsonNode} forgets them), plus the few questions the config readers ask of a node. Composing builds nodes
 * and never objects, so no tag can instantiate a class.
 *
 * <p>Hostile input is bounded by {@link LoaderOptions}: SnakeYAML's defaults for nesting (50 levels; a
 * KubeProxyConfiguration needs 4) and size (3 MiB of code points), which the Jackson parser used before applied
 * too; and no alias to a mapping or list at all, because the composed tree shares aliased nodes, so a walk over a
 * few nested aliases would visit billions of nodes and a recursive one would never end. Aliases to scalars are
 * harmless and allowed.
 */
final class YamlNodes {

    static final int MAX_DEPTH = 50;
    static final int MAX_CHARS = 3 * 1024 * 1024;

    /** YAML 1.1's spellings of false, as SnakeYAML's resolver tags them {@link Tag#BOOL}. */
    private static final Set<String> FALSE = Set.of("false", "no", "off", "n");

    private YamlNodes() {
    }

    /** Composes the single YAML document in {@code yaml}; {@code source} names it in errors. */
    static Node compose(String yaml, String source) throws ConfigFileException {
        if (yaml.length() > MAX_CHARS) { // checked here too: SnakeYAML's limit counts no comment
            throw new ConfigFileException(source, "invalid YAML: larger than " + MAX_CHARS + " characters", null);
        }
        LoaderOptions limits = new LoaderOptions();
        limits.setNestingDepthLimit(MAX_DEPTH);
        limits.setCodePointLimit(MAX_CHARS);
        limits.setMaxAliasesForCollections(0);
        limits.setAllowRecursiveKeys(false);
        try {
            Composer composer = new Composer(new ParserImpl(new StreamReader(new StringReader(yaml)), limits),
                    new Resolver(), limits);
            Node root = composer.checkNode() ? composer.getNode() : null;
            if (root == null) {
                throw new ConfigFileException(source, 1, "empty file (expected: a KubeProxyConfiguration)");
            }
            if (composer.checkNode()) {
                throw new ConfigFileException(source, line(composer.getNode()),
                        "a second YAML document (expected: one KubeProxyConfiguration)");
            }
            return root;
        } catch (MarkedYAMLException e) {
            String context = e.getContext() == null ? "" : e.getContext() + ": ";
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            throw new ConfigFileException(source, line, "invalid YAML: " + context + e.getProblem());
        } catch (YAMLException e) { // a limit, which SnakeYAML reports without a position
            throw new ConfigFileException(source, "invalid YAML: " + e.getMessage(), e);
        }
    }

    /** The 1-based line where {@code node} starts. */
    static int line(Node node) {
        return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    /** The fields of {@code mapping} by name, in file order; a key given twice is an error at its second line. */
    static Map<String, NodeTuple> fields(MappingNode mapping, String source) throws ConfigFileException {
        Map<String, NodeTuple> fields = new LinkedHashMap<>();
        for (NodeTuple field : mapping.getValue()) {
            Node key = field.getKeyNode();
            if (!(key instanceof ScalarNode name)) {
                throw new ConfigFileException(source, line(key), describe(key) + " as a key (expected: a field"
                        + " name)");
            }
            NodeTuple first = fields.putIfAbsent(name.getValue(), field);
            if (first != null) {
                throw new ConfigFileException(source, line(key), "invalid YAML: Duplicate field '" + name.getValue()
                        + "' (first on line " + line(first.getKeyNode()) + ")");
            }
        }
        return Collections.unmodifiableMap(fields);
    }

    /** True for a string as YAML types it: quoted, or plain text that reads as nothing else. */
    static boolean isString(Node node) {
        return node instanceof ScalarNode && Tag.STR.equals(node.getTag());
    }

    /** True for null, "", {} and []: what generated files write for fields left at their defaults. */
    static boolean isEmpty(Node node) {
        if (node instanceof ScalarNode s) {
            return Tag.NULL.equals(s.getTag()) || (isString(s) && s.getValue().isEmpty());
        }
        return node instanceof MappingNode m ? m.getValue().isEmpty() : ((SequenceNode) node).getValue().isEmpty();
    }

    /** True for a scalar YAML types as a boolean false. */
    static boolean isFalse(Node node) {
        return node instanceof ScalarNode s && Tag.BOOL.equals(s.getTag())
                && FALSE.contains(s.getValue().toLowerCase(java.util.Locale.ROOT));
    }

    /** True for a scalar YAML types as an integer or a float. */
    static boolean isNumber(Node node) {
        return node instanceof ScalarNode s && (Tag.INT.equals(s.getTag()) || Tag.FLOAT.equals(s.getTag()));
    }

    /** The node as an error message shows it: a string quoted, another scalar as written, else its kind. */
    static String describe(Node node) {
        if (node instanceof ScalarNode s) {
            return isString(s) ? "\"" + s.getValue() + "\"" : s.getValue();
        }
        return node instanceof MappingNode ? "a mapping" : "a list";
    }
}
