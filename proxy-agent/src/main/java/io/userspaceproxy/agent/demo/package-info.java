/** {@code --demo}: local backends for {@code examples/local} and a client that shows where each request went. */
package io.userspaceproxy.agent.demo;
