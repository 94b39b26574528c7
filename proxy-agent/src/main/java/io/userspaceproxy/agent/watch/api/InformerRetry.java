package io.userspaceproxy.agent.watch.api;

import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An informer's answer to a failed list or watch: always retry (fabric8 backs off), as kube-proxy's reflectors
 * do, including before the first successful list, so that an agent started before its API server or its RBAC
 * simply waits. Each new failure is logged at WARN once; the same failure again at DEBUG. Called by fabric8 on
 * one informer's threads only.
 */
final class InformerRetry implements ExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(InformerRetry.class);

    private final String kind;
    private volatile @Nullable String lastFailure;

    InformerRetry(String kind) {
        this.kind = kind;
    }

    @Override
    public boolean retryAfterException(boolean isStarted, Throwable t) {
        String failure = t.getClass().getSimpleName() + ": " + t.getMessage();
        if (failure.equals(lastFailure)) {
            log.debug("{} informer still failing: {}", kind, failure);
        } else {
            lastFailure = failure;
            log.warn("{} {} failed, retrying: {}", kind, isStarted ? "watch" : "list", failure);
        }
        return true;
    }
}
