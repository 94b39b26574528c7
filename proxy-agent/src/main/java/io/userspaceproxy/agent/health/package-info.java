/** Health of the agent's sync loop, judged the way kube-proxy does, and the server of its {@code /healthz}. */
@NullMarked
package io.userspaceproxy.agent.health;

import org.jspecify.annotations.NullMarked;
