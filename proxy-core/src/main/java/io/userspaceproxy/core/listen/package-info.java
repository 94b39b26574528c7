/** Listeners per protocol and address: binds what a new table adds, closes what it removes, epoll or NIO. */
@NullMarked
package io.userspaceproxy.core.listen;

import org.jspecify.annotations.NullMarked;
