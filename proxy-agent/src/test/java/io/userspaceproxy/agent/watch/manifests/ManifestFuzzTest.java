package io.userspaceproxy.agent.watch.manifests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.userspaceproxy.agent.watch.convert.InvalidResourceException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded fuzzing of {@link ManifestParser}: the hostile corpus, then random mutations of the manifests in
 * {@code examples/local} and of the corpus. For every input the parser must return content or throw
 * {@link InvalidResourceException}, nothing else, each within {@link #PER_CASE_MILLIS}. The run is bounded by
 * {@link #CASES} and by {@link #BUDGET_MILLIS}, whichever ends first. Reproduce a failure with
 * {@code -Dmanifest.fuzz.seed=<seed>} (the failing case's seed and index are in the message).
 */
class ManifestFuzzTest {

    private static final Path EXAMPLES = Path.of("..", "examples", "local");
    private static final int CASES = Integer.getInteger("manifest.fuzz.cases", 4_000);
    private static final long BUDGET_MILLIS = Long.getLong("manifest.fuzz.millis", 4_000);
    private static final long PER_CASE_MILLIS = 1_000;
    private static final long SEED = Long.getLong("manifest.fuzz.seed", 0x11_2026L);

    private static final String[] TOKENS = {
        "&a ", "*a", "&b [*a, *a, *a]", "[", "]", "{", "}", ": ", "- ", "\n", "\n  ", "\t", "---\n", "\"", "'",
        "null", "~", "!!binary ", "!!str ", "? ", "|\n", ">-\n", "#", ",", "0x", "-1", "99999999999999999999",
        "\u0000", "\ufeff", "%YAML 1.2\n", "<<: *a\n", "kind: List\nitems:\n- ", "ports:\n  - ", "[".repeat(300),
        "{a: ".repeat(200),
    };

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void parse_mutatedManifests_returnOrRejectOnly() throws IOException {
        List<String> seeds = new ArrayList<>(HostileManifests.corpus().values());
        List<String> examples = examples();
        assertThat(examples).isNotEmpty();
        seeds.addAll(examples);
        for (String text : seeds) {
            check(text, "seed corpus");
        }
        Random random = new Random(SEED);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BUDGET_MILLIS);
        int done = 0;
        int parsed = 0;
        while (done < CASES && System.nanoTime() < deadline) {
            String base = random.nextInt(4) == 0 ? seeds.get(random.nextInt(seeds.size()))
                    : examples.get(random.nextInt(examples.size()));
            String text = mutate(base, random);
            if (check(text, "seed " + SEED + ", case " + done)) {
                parsed++;
            }
            done++;
        }
        assertThat(done).as("cases run within the budget").isGreaterThanOrEqualTo(Math.min(CASES, 500));
        assertThat(parsed).as("some mutations still parse, so the fuzzing reaches conversion").isPositive();
    }

    /** True if parsed, false if rejected; fails on anything else or on a slow case. */
    private static boolean check(String text, String which) {
        long start = System.nanoTime();
        boolean parsed;
        try {
            ManifestParser.parse(text);
            parsed = true;
        } catch (InvalidResourceException e) {
            assertThat(e.getMessage()).isNotBlank();
            parsed = false;
        } catch (Throwable t) {
            throw new AssertionError(which + ": " + t + " for input " + excerpt(text), t);
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        if (millis > PER_CASE_MILLIS) {
            fail(which + ": took " + millis + " ms for input " + excerpt(text));
        }
        return parsed;
    }

    private static String mutate(String text, Random random) {
        StringBuilder sb = new StringBuilder(text);
        int edits = 1 + random.nextInt(4);
        for (int i = 0; i < edits; i++) {
            int at = sb.length() == 0 ? 0 : random.nextInt(sb.length());
            switch (random.nextInt(7)) {
                case 0 -> sb.setLength(at); // truncated, as by a crash mid-write
                case 1 -> sb.insert(at, TOKENS[random.nextInt(TOKENS.length)]);
                case 2 -> sb.delete(at, Math.min(sb.length(), at + 1 + random.nextInt(20)));
                case 3 -> {
                    if (sb.length() > 0) {
                        sb.setCharAt(at, (char) random.nextInt(128));
                    }
                }
                case 4 -> {
                    int end = Math.min(sb.length(), at + random.nextInt(80));
                    sb.insert(end, sb.substring(at, end).repeat(1 + random.nextInt(3)));
                }
                case 5 -> sb.insert(at, "\n" + " ".repeat(random.nextInt(8)));
                default -> {
                    int end = Math.min(sb.length(), at + random.nextInt(40));
                    String piece = sb.substring(at, end);
                    sb.delete(at, end);
                    sb.insert(sb.length() == 0 ? 0 : random.nextInt(sb.length()), piece);
                }
            }
        }
        return sb.toString();
    }

    private static List<String> examples() throws IOException {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            List<String> out = new ArrayList<>();
            for (Path p : files.filter(f -> ManifestScanner.isManifestName(f.getFileName().toString())).sorted()
                    .toList()) {
                out.add(Files.readString(p, StandardCharsets.UTF_8));
            }
            return out;
        }
    }

    private static String excerpt(String text) {
        String s = text.length() <= 300 ? text : text.substring(0, 300) + "... (" + text.length() + " chars)";
        return "\"" + s.replace("\n", "\\n") + "\"";
    }
}
