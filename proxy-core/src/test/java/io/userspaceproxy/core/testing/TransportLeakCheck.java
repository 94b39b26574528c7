package io.userspaceproxy.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test class when Netty reported a leaked buffer while it ran. Tests run with paranoid leak detection, which
 * only logs; this extension listens to that log. After the class it collects garbage and allocates a few buffers,
 * since the detector reports a leak only when the buffer was collected and a later allocation polls its queue.
 * It can miss a leak that is collected later, but it never blames a class for a leak that did not happen.
 */
public final class TransportLeakCheck implements BeforeAllCallback, AfterAllCallback {

    private static final int GC_ROUNDS = 5;

    private final ListAppender<ILoggingEvent> reports = new ListAppender<>();

    private static Logger detectorLog() {
        return (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        reports.start();
        detectorLog().addAppender(reports);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            for (int i = 0; i < GC_ROUNDS; i++) {
                System.gc();
                ByteBufAllocator.DEFAULT.directBuffer(1).release();
                ByteBufAllocator.DEFAULT.heapBuffer(1).release();
            }
            assertThat(reports.list)
                    .filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.ERROR))
                    .extracting(ILoggingEvent::getFormattedMessage)
                    .as("buffers leaked while %s ran", context.getDisplayName())
                    .isEmpty();
        } finally {
            detectorLog().detachAppender(reports);
            reports.stop();
        }
    }
}
