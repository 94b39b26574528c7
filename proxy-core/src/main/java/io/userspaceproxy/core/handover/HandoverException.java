package io.userspaceproxy.core.handover;

/**
 * Why a hand-over did not complete: the other agent closed, timed out, spoke another version, or sent a socket that
 * is not what it announced. Expected at times (an old agent killed mid-way), so it carries no stack trace.
 */
public final class HandoverException extends Exception {

    private static final long serialVersionUID = 1L;

    HandoverException(String message) {
        super(message, null, false, false);
    }
}
