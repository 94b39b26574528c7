/** Listeners per protocol and address: binds what a new table adds, closes what it removes, epoll or NIO. */
package io.userspaceproxy.core.listen;
