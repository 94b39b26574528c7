package io.userspaceproxy.bench.iptables;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** The command line of {@link IptablesRuleSet#main}, validated with messages that name the bad value. */
record RuleSetOptions(int services, int endpoints, long seed, Path full, Path partial) {

    private static final Set<String> KNOWN = Set.of("--services", "--endpoints", "--seed", "--full", "--partial");
    private static final String USAGE =
            "usage: IptablesRuleSet --services N --endpoints M --full FILE --partial FILE [--seed S]";

    static RuleSetOptions parse(String[] args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!KNOWN.contains(args[i]) || i + 1 >= args.length) {
                throw new IllegalArgumentException("unexpected argument \"" + args[i] + "\"; " + USAGE);
            }
            values.put(args[i], args[i + 1]);
        }
        for (String required : Set.of("--services", "--endpoints", "--full", "--partial")) {
            if (!values.containsKey(required)) {
                throw new IllegalArgumentException(required + " is missing; " + USAGE);
            }
        }
        return new RuleSetOptions(
                positive(values, "--services"),
                positive(values, "--endpoints"),
                Long.parseLong(values.getOrDefault("--seed", "1")),
                Path.of(values.get("--full")),
                Path.of(values.get("--partial")));
    }

    private static int positive(Map<String, String> values, String name) {
        String text = values.get(name);
        try {
            int n = Integer.parseInt(text);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below with the expectation
        }
        throw new IllegalArgumentException(name + ": " + text + " (expected: a positive integer)");
    }
}
