/**
 * The agent's configuration: kube-proxy's flags and its {@code KubeProxyConfiguration} file, merged and validated
 * into one immutable {@code AgentConfig}, and rendered back for {@code /configz}.
 */
@NullMarked
package io.userspaceproxy.agent.config;

import org.jspecify.annotations.NullMarked;
