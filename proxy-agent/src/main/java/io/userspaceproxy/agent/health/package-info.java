/** Health of the agent's sync loop, judged the way kube-proxy does, and the server of its {@code /healthz}. */
package io.userspaceproxy.agent.health;
