package io.userspaceproxy.agent.process;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Maps kube-proxy's {@code --v=N} onto Logback levels: 0-1 INFO, 2-3 DEBUG for the agent, 4-5 DEBUG, 6+ TRACE. */
public final class Logging {

    private Logging() {
    }

    public static void setVerbosity(int v) {
        if (!(LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx)) {
            return;
        }
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger ours = ctx.getLogger("io.userspaceproxy");
        if (v >= 6) {
            root.setLevel(Level.DEBUG);
            ours.setLevel(Level.TRACE);
        } else if (v >= 4) {
            ours.setLevel(Level.DEBUG);
        } else if (v >= 2) {
            ours.setLevel(Level.DEBUG);
            ctx.getLogger("io.userspaceproxy.core").setLevel(Level.INFO);
            // A line per listener bound or closed: kube-proxy's -v=2 detail, too much for the default level.
            ctx.getLogger("io.userspaceproxy.core.listen").setLevel(Level.DEBUG);
        }
    }
}
