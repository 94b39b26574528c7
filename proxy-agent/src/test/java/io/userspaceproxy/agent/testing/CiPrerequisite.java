package io.userspaceproxy.agent.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.jspecify.annotations.Nullable;

/** A prerequisite that local runs may lack (the test is skipped) but CI ({@code CI=true}) provides (it fails). */
final class CiPrerequisite {

    private CiPrerequisite() {
    }

    /** Returns when {@code missing} is null; otherwise skips the calling test, or fails it under CI. */
    static void check(String tests, @Nullable String missing) {
        if (missing == null) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(tests + " must run under CI, but " + missing);
        }
        assumeTrue(false, tests + " skipped: " + missing);
    }
}
