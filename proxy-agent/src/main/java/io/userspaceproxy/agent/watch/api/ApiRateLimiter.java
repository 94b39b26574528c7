package io.userspaceproxy.agent.watch.api;

import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * {@code --kube-api-qps} and {@code --kube-api-burst}: client-go's token bucket, as a fabric8 request interceptor.
 * The bucket holds up to {@code burst} tokens and refills at {@code qps} per second; each request (list, watch, or
 * watch reconnect) takes one, and when none is left it waits until its token is due. Reservations may run the
 * bucket negative, so concurrent requests queue fairly behind each other, as {@code rate.Limiter.Wait} does.
 *
 * <p>Where it waits: fabric8 calls interceptors on the thread that sends the request (the agent's start thread,
 * or fabric8's reconnect scheduler), never on an informer handler or a data-plane event loop. The agent's three
 * informers send a few requests per (re)connection, so a wait only happens in a reconnect storm; even then one
 * wait is capped at {@link #MAX_WAIT_NANOS} (the request then goes ahead and is counted), so a stalled bucket can
 * never hold fabric8's shared scheduler for long.
 *
 * <p>Thread-safe: the bucket is guarded by this object's monitor, held only for the arithmetic.
 */
final class ApiRateLimiter implements Interceptor {

    static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Waits for a number of nanoseconds; the real one sleeps. */
    @FunctionalInterface
    interface Sleeper {
        void sleepNanos(long nanos) throws InterruptedException;
    }

    private final double qps;
    private final int burst;
    private final LongSupplier nanoTime;
    private final Sleeper sleeper;
    private final LongAdder waited = new LongAdder();
    private final LongAdder cappedWaits = new LongAdder();
    private double tokens;
    private long lastNanos;

    ApiRateLimiter(double qps, int burst) {
        this(qps, burst, System::nanoTime, nanos -> TimeUnit.NANOSECONDS.sleep(nanos));
    }

    ApiRateLimiter(double qps, int burst, LongSupplier nanoTime, Sleeper sleeper) {
        if (!(qps > 0)) {
            throw new IllegalArgumentException("qps: " + qps + " (expected: > 0)");
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
        }
        this.qps = qps;
        this.burst = burst;
        this.nanoTime = nanoTime;
        this.sleeper = sleeper;
        this.tokens = burst;
        this.lastNanos = nanoTime.getAsLong();
    }

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        acquire();
    }

    /** Takes a token, waiting (at most {@link #MAX_WAIT_NANOS}) until it is due. */
    void acquire() {
        long wait = reserve();
        if (wait <= 0) {
            return;
        }
        waited.increment();
        if (wait > MAX_WAIT_NANOS) {
            cappedWaits.increment();
            wait = MAX_WAIT_NANOS;
        }
        try {
            sleeper.sleepNanos(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing: let the request fail fast on its own
        }
    }

    /** Takes a token now and returns how long until it is due (0: at once). */
    synchronized long reserve() {
        long now = nanoTime.getAsLong();
        tokens = Math.min(burst, tokens + (now - lastNanos) * qps / 1e9);
        lastNanos = now;
        tokens -= 1;
        return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / qps * 1e9);
    }

    /** Requests that had to wait for a token. */
    long waited() {
        return waited.sum();
    }

    /** Requests that went ahead after {@link #MAX_WAIT_NANOS} without their token being due. */
    long cappedWaits() {
        return cappedWaits.sum();
    }
}
