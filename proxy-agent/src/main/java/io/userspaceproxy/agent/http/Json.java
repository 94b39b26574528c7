package io.userspaceproxy.agent.http;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

/**
 * JSON string literals for the agent's small response bodies, escaped by Jackson. The bodies themselves are laid out
 * by hand where their shape is a contract (kube-proxy's health-check and {@code /healthz} bodies, byte for byte, and
 * one {@code /connections} entry per line); what goes between the quotes is never trusted to need no escaping.
 */
public final class Json {

    private Json() {
    }

    /** Appends {@code s} to {@code out} as a JSON string literal, quotes included. */
    public static StringBuilder quote(StringBuilder out, String s) {
        out.append('"');
        JsonStringEncoder.getInstance().quoteAsString(s, out);
        return out.append('"');
    }

    /** {@code s} as a JSON string literal, quotes included. */
    public static String quote(String s) {
        return quote(new StringBuilder(s.length() + 2), s).toString();
    }
}
