package io.userspaceproxy.core.testing;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * For a test that waits on the code under test: when it fails, every thread's stack at that moment is printed and
 * attached to the failure, so that a rare stall (a sync or an event loop that never finishes) says where it waits
 * the one time it happens, CI included.
 */
public final class ThreadDumpOnFailure implements TestExecutionExceptionHandler {

    /** Frames per thread: enough to reach the caller of whatever blocks, short enough to read. */
    private static final int MAX_FRAMES = 40;

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        String dump = dump();
        System.err.println("threads when " + context.getDisplayName() + " failed:\n" + dump);
        failure.addSuppressed(new ThreadDump(dump));
        throw failure;
    }

    /** Every live thread's state, lock and stack, as {@code jstack} would show it. */
    static String dump() {
        StringBuilder out = new StringBuilder();
        for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            out.append('"').append(info.getThreadName()).append("\" ").append(info.getThreadState());
            if (info.getLockName() != null) {
                out.append(" on ").append(info.getLockName());
            }
            if (info.getLockOwnerName() != null) {
                out.append(" owned by \"").append(info.getLockOwnerName()).append('"');
            }
            out.append('\n');
            StackTraceElement[] frames = info.getStackTrace();
            for (int i = 0; i < Math.min(frames.length, MAX_FRAMES); i++) {
                out.append("    at ").append(frames[i]).append('\n');
            }
            if (frames.length > MAX_FRAMES) {
                out.append("    ... ").append(frames.length - MAX_FRAMES).append(" more\n");
            }
        }
        return out.toString();
    }

    /** Carries the dump in its message; its own stack (this handler's) says nothing. */
    private static final class ThreadDump extends Exception {

        private static final long serialVersionUID = 1L;

        ThreadDump(String dump) {
            super("threads at the failure:\n" + dump, null, false, false);
        }
    }
}
