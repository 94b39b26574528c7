/** Immutable values that describe the desired data plane: service ports, listeners, endpoints and routes. */
package io.userspaceproxy.core.model;
