package io.userspaceproxy.core.listen;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.userspaceproxy.core.metrics.ProxyCounters;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handler of every TCP listening socket: what happens when {@code accept} fails, typically with EMFILE when the
 * process is out of descriptors. The listener stops accepting for one second (the queued clients wait in the
 * kernel instead of the loop spinning on the same error), the failure is counted, and it is logged at most once per
 * {@value #LOG_INTERVAL_SECONDS} seconds for the whole process, rather than once per failure with a stack trace
 * (which at 10,000 listeners wrote millions of lines in minutes). Sharable: one instance serves every listener.
 */
@ChannelHandler.Sharable
final class AcceptErrors extends ChannelInboundHandlerAdapter {

    static final long PAUSE_MILLIS = 1000;
    private static final long LOG_INTERVAL_SECONDS = 10;
    private static final Logger log = LoggerFactory.getLogger(AcceptErrors.class);

    private final ProxyCounters counters;
    private final AtomicLong nextLogNanos = new AtomicLong(System.nanoTime());

    AcceptErrors(ProxyCounters counters) {
        this.counters = counters;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        counters.onAcceptError();
        long now = System.nanoTime();
        long next = nextLogNanos.get();
        if (now - next >= 0 && nextLogNanos.compareAndSet(next, now + TimeUnit.SECONDS.toNanos(LOG_INTERVAL_SECONDS))) {
            log.warn("accepting on {} failed: {} (pausing that listener for {} ms; {} accept failures so far,"
                    + " logged at most every {} s)", ctx.channel().localAddress(), cause.toString(), PAUSE_MILLIS,
                    counters.acceptErrors(), LOG_INTERVAL_SECONDS);
        }
        if (ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(false);
            ctx.channel().eventLoop().schedule(() -> ctx.channel().config().setAutoRead(true), PAUSE_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
    }
}
