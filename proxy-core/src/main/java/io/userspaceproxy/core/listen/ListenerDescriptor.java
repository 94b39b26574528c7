package io.userspaceproxy.core.listen;

import io.userspaceproxy.core.model.ListenerKey;
import java.util.Objects;

/**
 * One listening socket as the kernel knows it: the key it serves and its file descriptor in this process. An old
 * agent sends these to a new one (the descriptor travels as {@code SCM_RIGHTS}, so the number differs on the other
 * side); a key on epoll has one per event loop. A descriptor is only a number: it means nothing once the socket
 * behind it is closed, which is why {@link ListenerSet#lendDescriptors} hands them out under its lock.
 *
 * @param key what the socket serves
 * @param fd  its file descriptor in this process, {@code >= 0}
 */
public record ListenerDescriptor(ListenerKey key, int fd) {

    public ListenerDescriptor {
        Objects.requireNonNull(key, "key");
        if (fd < 0) {
            throw new IllegalArgumentException("fd: " + fd + " (expected: >= 0)");
        }
    }
}
