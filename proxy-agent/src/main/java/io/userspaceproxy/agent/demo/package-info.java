/** {@code --demo}: local backends for {@code examples/local} and a client that shows where each request went. */
@NullMarked
package io.userspaceproxy.agent.demo;

import org.jspecify.annotations.NullMarked;
