package io.userspaceproxy.agent.testing;

import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Real TCP connections through the agent to {@code TcpEchoServer} backends, which greet with their name: a test
 * learns which endpoint answered, or that the connection was refused or reset. Loopback only.
 */
public final class Traffic {

    /** What {@link #whoAnswers} returns when no backend answered (connection refused, reset or closed). */
    public static final String REFUSED = "<refused>";

    private static final int TIMEOUT_MILLIS = 3_000;
    private static final Duration AWAIT = Duration.ofSeconds(20);

    private Traffic() {
    }

    /** The first line the backend behind {@code target} sends, or {@link #REFUSED}. */
    public static String whoAnswers(InetSocketAddress target) {
        return whoAnswers(target, null);
    }

    /** Like {@link #whoAnswers(InetSocketAddress)}, from the local address {@code from} (null: any). */
    public static String whoAnswers(InetSocketAddress target, InetAddress from) {
        try (Socket s = new Socket()) {
            if (from != null) {
                s.bind(new InetSocketAddress(from, 0));
            }
            s.connect(target, TIMEOUT_MILLIS);
            s.setSoTimeout(TIMEOUT_MILLIS);
            String line = readLine(s.getInputStream());
            return line == null ? REFUSED : line;
        } catch (IOException e) {
            return REFUSED;
        }
    }

    /** True when a TCP connection to {@code target} is accepted (a listener is bound), whatever happens next. */
    public static boolean accepts(InetSocketAddress target) {
        try (Socket s = new Socket()) {
            s.connect(target, TIMEOUT_MILLIS);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The names that answer {@code connections} successive connections. */
    public static Set<String> answers(InetSocketAddress target, int connections) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < connections; i++) {
            names.add(whoAnswers(target));
        }
        return names;
    }

    /** Waits (bounded) until {@code target} is answered by {@code expected} (or refuses, for {@link #REFUSED}). */
    public static void awaitAnswer(InetSocketAddress target, String expected) {
        awaitAnswer(target, null, expected);
    }

    public static void awaitAnswer(InetSocketAddress target, InetAddress from, String expected) {
        AtomicReference<String> last = new AtomicReference<>();
        try {
            await().atMost(AWAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
                last.set(whoAnswers(target, from));
                return expected.equals(last.get());
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(target + (from == null ? "" : " from " + from) + ": expected " + expected
                    + " to answer within " + AWAIT.toSeconds() + " s, last answer: " + last.get(), e);
        }
    }

    /** Waits (bounded) until {@code connections} connections to {@code target} are answered by exactly {@code names}. */
    public static void awaitAnswers(InetSocketAddress target, int connections, Set<String> names) {
        AtomicReference<Set<String>> last = new AtomicReference<>();
        try {
            await().atMost(AWAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
                last.set(answers(target, connections));
                return last.get().equals(names);
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(target + ": expected answers from " + names + " within " + AWAIT.toSeconds()
                    + " s, last: " + last.get(), e);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            line.write(b);
        }
        return b < 0 && line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
    }
}
