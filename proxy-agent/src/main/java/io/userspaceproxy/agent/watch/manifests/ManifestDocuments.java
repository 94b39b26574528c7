package io.userspaceproxy.agent.watch.manifests;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.userspaceproxy.agent.watch.convert.InvalidResourceException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.common.Anchor;
import org.snakeyaml.engine.v2.events.AliasEvent;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.NodeEvent;

/**
 * Reads the text of a manifest file into plain document trees (maps, lists, scalars, or Jackson trees for JSON)
 * within limits, before fabric8 turns them into objects. fabric8's own {@code unmarshal} parses YAML with an
 * unbounded snakeyaml-engine {@code Load} (no setting can be passed in) and walks the result recursively, so a
 * recursive alias ({@code a: &a {b: *a}}) or 20,000 nested brackets end in a {@code StackOverflowError}, and a
 * few nested aliases ("billion laughs") expand to billions of nodes. Here the YAML is first read as a stream of
 * parser events, which snakeyaml-engine produces without recursion, and checked:
 * <ul>
 *   <li>nesting deeper than {@value #MAX_DEPTH} levels (a Service or EndpointSlice needs fewer than 10);</li>
 *   <li>more than {@value #MAX_ALIASES} aliases, or an alias to a collection that contains it (recursive);</li>
 *   <li>more than {@value #MAX_NODES} nodes once every alias is expanded (what a file of
 *       {@value ManifestScanner#MAX_FILE_BYTES} bytes could hold without aliases);</li>
 *   <li>more than {@value ManifestScanner#MAX_FILE_BYTES} characters.</li>
 * </ul>
 * Only then is it loaded (the composer recurses, now to a known depth). JSON (text starting with {@code {} or
 * {@code [}, as fabric8 decides) is read by Jackson with the same depth in its {@link StreamReadConstraints}.
 * Every violation is an {@link InvalidResourceException} naming the limit. Thread-safe.
 */
final class ManifestDocuments {

    static final int MAX_DEPTH = 100;
    static final int MAX_ALIASES = 100;
    static final int MAX_NODES = 1_000_000;
    static final int MAX_CHARS = ManifestScanner.MAX_FILE_BYTES;

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxDocumentLength(MAX_CHARS)
                    .maxStringLength(MAX_CHARS)
                    .build())
            .build());

    private ManifestDocuments() {
    }

    /**
     * The documents of {@code text} in order: maps, lists or scalars for YAML, {@link JsonNode}s for JSON; null
     * for an empty YAML document.
     *
     * @throws InvalidResourceException when a limit is exceeded or the text is not YAML or JSON
     * @throws RuntimeException         a parser's own exception for malformed text, which the caller describes
     */
    static List<Object> read(String text) {
        if (text.length() > MAX_CHARS) {
            throw new InvalidResourceException("larger than " + MAX_CHARS + " characters");
        }
        return isJson(text) ? json(text) : yaml(text);
    }

    /** fabric8's rule: JSON when the first character that is not white space is an opening brace or bracket. */
    private static boolean isJson(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!Character.isWhitespace(c)) {
                return c == '{' || c == '[';
            }
        }
        return false;
    }

    private static List<Object> json(String text) {
        JsonNode tree;
        try {
            tree = JSON.readTree(text);
        } catch (IOException e) {
            throw new InvalidResourceException(ManifestParser.describe(new IllegalArgumentException(e)));
        }
        List<Object> out = new ArrayList<>();
        if (tree != null && tree.isArray()) {
            tree.forEach(out::add);
        } else if (tree != null) {
            out.add(tree);
        }
        return out;
    }

    private static List<Object> yaml(String text) {
        LoadSettings settings = LoadSettings.builder()
                .setMaxAliasesForCollections(MAX_ALIASES)
                .setAllowRecursiveKeys(false)
                .setCodePointLimit(MAX_CHARS)
                .build();
        check(new Parse(settings).parseString(text));
        List<Object> out = new ArrayList<>();
        new Load(settings).loadAllFromString(text).forEach(out::add);
        return out;
    }

    /** One open collection while walking the events: its anchor (or null) and its expanded node count. */
    private static final class Frame {
        final @Nullable Anchor anchor;
        long nodes = 1;

        Frame(@Nullable Anchor anchor) {
            this.anchor = anchor;
        }
    }

    /** Walks the parser's events once, without recursion, and throws at the first limit exceeded. */
    private static void check(Iterable<Event> events) {
        Deque<Frame> open = new ArrayDeque<>();
        Map<Anchor, Long> sizes = new HashMap<>();
        long total = 0;
        int aliases = 0;
        for (Event event : events) {
            switch (event.getEventId()) {
                case DocumentStart -> sizes.clear(); // anchors do not cross documents
                case MappingStart, SequenceStart -> {
                    if (open.size() >= MAX_DEPTH) {
                        throw new InvalidResourceException("nested deeper than " + MAX_DEPTH + " levels");
                    }
                    open.push(new Frame(((NodeEvent) event).getAnchor().orElse(null)));
                }
                case MappingEnd, SequenceEnd -> {
                    Frame done = open.pop();
                    if (done.anchor != null) {
                        sizes.put(done.anchor, done.nodes);
                    }
                    total = add(open, total, done.nodes);
                }
                case Scalar -> {
                    ((NodeEvent) event).getAnchor().ifPresent(a -> sizes.put(a, 1L));
                    total = add(open, total, 1);
                }
                case Alias -> {
                    if (++aliases > MAX_ALIASES) {
                        throw new InvalidResourceException("more than " + MAX_ALIASES + " YAML aliases");
                    }
                    total = add(open, total, expandedSize(((AliasEvent) event).getAlias(), open, sizes));
                }
                default -> {
                    // stream and document boundaries, comments
                }
            }
            if (total > MAX_NODES) {
                throw new InvalidResourceException("more than " + MAX_NODES + " nodes with every alias expanded");
            }
        }
    }

    /** How many nodes an alias of {@code target} stands for; throws when it refers to a collection still open. */
    private static long expandedSize(Anchor target, Deque<Frame> open, Map<Anchor, Long> sizes) {
        for (Frame f : open) {
            if (target.equals(f.anchor)) {
                throw new InvalidResourceException("a recursive YAML alias: *" + target.getValue()
                        + " refers to a collection that contains it");
            }
        }
        return sizes.getOrDefault(target, 1L);
    }

    /** Adds {@code nodes} to the enclosing collection, or to the total at the top of a document. */
    private static long add(Deque<Frame> open, long total, long nodes) {
        Frame parent = open.peek();
        if (parent == null) {
            return total + nodes;
        }
        parent.nodes += nodes;
        if (parent.nodes > MAX_NODES) {
            throw new InvalidResourceException("more than " + MAX_NODES + " nodes with every alias expanded");
        }
        return total;
    }
}
