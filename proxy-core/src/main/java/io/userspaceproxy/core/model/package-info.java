/** Immutable values that describe the desired data plane: service ports, listeners, endpoints and routes. */
@NullMarked
package io.userspaceproxy.core.model;

import org.jspecify.annotations.NullMarked;
