/** Health of the sync loop, judged the way kube-proxy does, and the HTTP server that answers its probes. */
package io.userspaceproxy.agent.health;
