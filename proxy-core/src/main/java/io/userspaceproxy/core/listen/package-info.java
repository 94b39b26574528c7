/** Listeners per protocol and address: binds what a new table adds, closes what it removes; epoll, io_uring or NIO. */
@NullMarked
package io.userspaceproxy.core.listen;

import org.jspecify.annotations.NullMarked;
