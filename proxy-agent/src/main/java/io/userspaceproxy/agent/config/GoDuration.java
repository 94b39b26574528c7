package io.userspaceproxy.agent.config;

import java.time.Duration;
import java.util.Map;

/**
 * Durations written the way Kubernetes components write them: Go's {@code time.ParseDuration} and
 * {@code Duration.String()} ({@code 250ms}, {@code 2s}, {@code 1m30s}, {@code 1h0m0s}, {@code 1.5h}).
 *
 * <p>{@link #parse} accepts exactly Go's grammar: an optional sign, then one or more decimal numbers (a fraction
 * allowed) each followed by a unit among {@code ns}, {@code us} (or {@code µs}, {@code μs}), {@code ms}, {@code s},
 * {@code m}, {@code h}; the only unitless value is {@code 0}; no spaces. Fractions are computed as Go computes
 * them (in floating point, digits beyond 19 ignored), so a file means the same here as in kube-proxy. Values
 * must fit Go's range of ±2^63 nanoseconds (about 292 years).
 *
 * <p>{@link #format} writes what Go's {@code String()} writes, so {@code parse(format(d)).equals(d)} for every
 * duration in range.
 */
public final class GoDuration {

    private static final Map<String, Long> UNITS = Map.of(
            "ns", 1L, "us", 1_000L, "\u00b5s", 1_000L, "\u03bcs", 1_000L,
            "ms", 1_000_000L, "s", 1_000_000_000L, "m", 60_000_000_000L, "h", 3_600_000_000_000L);
    /** 2^63 as an unsigned long: the largest magnitude Go accepts, for a negative duration. */
    private static final long TWO_63 = Long.MIN_VALUE;
    private static final String EXPECTED = " (expected: a Go duration such as 250ms, 2s, 1m30s, 1h)";

    private GoDuration() {
    }

    /**
     * Parses a Go duration string.
     *
     * @throws IllegalArgumentException naming the text and what is wrong with it (a missing or unknown unit,
     *     no digits, a value out of range)
     */
    public static Duration parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("invalid duration \"\"" + EXPECTED);
        }
        int i = 0;
        boolean negative = false;
        if (text.charAt(0) == '-' || text.charAt(0) == '+') {
            negative = text.charAt(0) == '-';
            i = 1;
        }
        if (text.length() - i == 1 && text.charAt(i) == '0') {
            return Duration.ZERO;
        }
        if (i == text.length()) {
            throw invalid(text);
        }
        long total = 0; // unsigned, at most 2^63
        while (i < text.length()) {
            Component c = component(text, i);
            total = addUnsigned(total, c.nanos(), text);
            i = c.end();
        }
        if (negative) {
            return Duration.ofNanos(-total); // -(2^63) wraps to Long.MIN_VALUE, Go's minimum
        }
        if (total < 0) {
            throw outOfRange(text);
        }
        return Duration.ofNanos(total);
    }

    /** One {@code number unit} pair starting at {@code i}, in unsigned nanoseconds, and where it ends. */
    private record Component(long nanos, int end) {
    }

    /**
     * Reads one component the way Go's {@code ParseDuration} does, including its floating-point fraction:
     * {@code v * unit + (long) (fraction * (unit / scale))}, so that the same text gives the same value as in Go.
     */
    private static Component component(String text, int start) {
        int i = start;
        while (i < text.length() && isDigit(text.charAt(i))) {
            i++;
        }
        long whole = whole(text, start, i);
        boolean digitsBefore = i > start;
        long fraction = 0;
        double scale = 1;
        boolean digitsAfter = false;
        if (i < text.length() && text.charAt(i) == '.') {
            int fractionStart = ++i;
            boolean overflow = false;
            for (; i < text.length() && isDigit(text.charAt(i)); i++) {
                if (overflow || fraction > Long.MAX_VALUE / 10) {
                    overflow = true; // Go keeps consuming digits but ignores them
                    continue;
                }
                fraction = fraction * 10 + (text.charAt(i) - '0');
                scale *= 10;
            }
            digitsAfter = i > fractionStart;
        }
        if (!digitsBefore && !digitsAfter) {
            throw invalid(text);
        }
        int unitStart = i;
        while (i < text.length() && !isDigit(text.charAt(i)) && text.charAt(i) != '.') {
            i++;
        }
        long unitNanos = unitNanos(text, unitStart, i);
        if (Long.compareUnsigned(whole, Long.divideUnsigned(TWO_63, unitNanos)) > 0) {
            throw outOfRange(text);
        }
        long nanos = whole * unitNanos;
        if (fraction > 0) {
            nanos = addUnsigned(nanos, (long) (fraction * (unitNanos / scale)), text);
        }
        return new Component(nanos, i);
    }

    /** The digits from {@code start} to {@code end} as an unsigned number of at most 2^63. */
    private static long whole(String text, int start, int end) {
        long whole = 0;
        for (int i = start; i < end; i++) {
            if (Long.compareUnsigned(whole, Long.divideUnsigned(TWO_63, 10)) > 0) {
                throw outOfRange(text);
            }
            whole = whole * 10 + (text.charAt(i) - '0');
            if (Long.compareUnsigned(whole, TWO_63) > 0) {
                throw outOfRange(text);
            }
        }
        return whole;
    }

    /** The length in nanoseconds of the unit {@code text} names from {@code start} to {@code end}. */
    private static long unitNanos(String text, int start, int end) {
        if (end == start) {
            throw new IllegalArgumentException("missing unit in duration \"" + text + "\"" + EXPECTED);
        }
        String unit = text.substring(start, end);
        Long unitNanos = UNITS.get(unit);
        if (unitNanos == null) {
            throw new IllegalArgumentException("unknown unit \"" + unit + "\" in duration \"" + text
                    + "\" (expected: ns, us, ms, s, m or h)");
        }
        return unitNanos;
    }

    /** {@code a + b} for unsigned values of at most 2^63, failing beyond 2^63. */
    private static long addUnsigned(long a, long b, String text) {
        long sum = a + b;
        if (Long.compareUnsigned(sum, a) < 0 || Long.compareUnsigned(sum, TWO_63) > 0) {
            throw outOfRange(text);
        }
        return sum;
    }

    private static IllegalArgumentException outOfRange(String text) {
        return new IllegalArgumentException("invalid duration \"" + text
                + "\" (expected: within \u00b12562047h47m16.854775807s)");
    }

    /**
     * Formats as Go's {@code Duration.String()} does: {@code 0s}; below one second a single unit with a fraction
     * ({@code 1.5ms}, {@code 250µs}, {@code 7ns}); from one second on hours, minutes and seconds with a fraction
     * ({@code 1h0m0s}, {@code 1m30.5s}).
     *
     * @throws IllegalArgumentException when {@code duration} exceeds Go's range of ±2^63 nanoseconds
     */
    public static String format(Duration duration) {
        long nanos;
        try {
            nanos = duration.toNanos();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("duration: " + duration + " (expected: within Go's range of ±2^63 ns)", e);
        }
        if (nanos == 0) {
            return "0s";
        }
        boolean negative = nanos < 0;
        long u = negative ? -nanos : nanos; // read as unsigned: -Long.MIN_VALUE is 2^63
        StringBuilder out = new StringBuilder(24);
        if (Long.compareUnsigned(u, 1_000_000_000L) < 0) {
            if (u < 1_000L) {
                out.append(u).append("ns");
            } else if (u < 1_000_000L) {
                appendFraction(out, u, 3).append("\u00b5s");
            } else {
                appendFraction(out, u, 6).append("ms");
            }
        } else {
            long seconds = Long.divideUnsigned(u, 1_000_000_000L);
            long hours = seconds / 3600;
            long minutes = seconds / 60 % 60;
            if (hours > 0) {
                out.append(hours).append('h');
            }
            if (hours > 0 || minutes > 0) {
                out.append(minutes).append('m');
            }
            out.append(seconds % 60);
            appendDecimals(out, Long.remainderUnsigned(u, 1_000_000_000L), 9).append('s');
        }
        return negative ? "-" + out : out.toString();
    }

    /** Appends {@code v / 10^precision} with its fraction, trailing zeros and a bare point dropped. */
    private static StringBuilder appendFraction(StringBuilder out, long v, int precision) {
        long scale = pow10(precision);
        out.append(v / scale);
        return appendDecimals(out, v % scale, precision);
    }

    private static StringBuilder appendDecimals(StringBuilder out, long fraction, int precision) {
        if (fraction == 0) {
            return out;
        }
        String digits = Long.toString(fraction);
        StringBuilder decimals = new StringBuilder(precision).append("0".repeat(precision - digits.length())).append(digits);
        int end = decimals.length();
        while (decimals.charAt(end - 1) == '0') {
            end--;
        }
        return out.append('.').append(decimals, 0, end);
    }

    private static long pow10(int n) {
        long p = 1;
        for (int i = 0; i < n; i++) {
            p *= 10;
        }
        return p;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("invalid duration \"" + text + "\"" + EXPECTED);
    }
}
