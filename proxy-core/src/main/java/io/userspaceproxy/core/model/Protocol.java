package io.userspaceproxy.core.model;

/** Transport protocol of a service port. SCTP is not served by a userspace proxy and has no constant. */
public enum Protocol {
    TCP,
    UDP
}
