package io.userspaceproxy.core.listen;

import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SingleThreadIoEventLoop;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;

/**
 * Netty's {@link MultiThreadIoEventLoopGroup} with event loops that close every registered handle before they stop,
 * whenever the shutdown began.
 *
 * <p>Netty 4.2's {@code SingleThreadIoEventLoop.run()} checks {@code isShuttingDown()} after its I/O step and calls
 * {@code IoHandler.prepareToDestroy()} (which closes every channel and every other {@code IoHandle}) only then; it
 * runs its tasks next and ends when {@code confirmShutdown()} agrees. With a quiet period of 0 the first
 * {@code confirmShutdown()} after the shutdown began agrees, so a shutdown that begins while the loop runs its tasks
 * (after that check) ends the loop with nothing closed: the handles of a spliced connection never learn of it, no
 * {@code SHUTDOWN} is counted, and their descriptors leak. (Netty 4.1's loops closed everything right before
 * {@code confirmShutdown()}.) Here each {@code confirmShutdown()} of a shutting-down loop closes what is still
 * registered first, while the loop still accepts the tasks those closes queue; it has nothing left to close after
 * the first.
 */
final class ClosingEventLoopGroup extends MultiThreadIoEventLoopGroup {

    ClosingEventLoopGroup(int threads, ThreadFactory threadFactory, IoHandlerFactory ioHandlerFactory) {
        super(threads, threadFactory, ioHandlerFactory);
    }

    @Override
    protected IoEventLoop newChild(Executor executor, IoHandlerFactory ioHandlerFactory, Object... args) {
        return new ClosingEventLoop(this, executor, ioHandlerFactory);
    }

    private static final class ClosingEventLoop extends SingleThreadIoEventLoop {

        ClosingEventLoop(ClosingEventLoopGroup parent, Executor executor, IoHandlerFactory ioHandlerFactory) {
            super(parent, executor, ioHandlerFactory);
        }

        @Override
        protected boolean confirmShutdown() {
            // Not once the loop rejects new tasks (isShutdown): the closes queue their inactive events as tasks.
            if (isShuttingDown() && !isShutdown()) {
                ioHandler().prepareToDestroy();
            }
            return super.confirmShutdown();
        }
    }
}
