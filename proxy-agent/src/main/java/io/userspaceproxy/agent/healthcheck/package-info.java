/**
 * The per-Service health-check servers of {@code externalTrafficPolicy: Local} Services: one HTTP port per
 * {@code healthCheckNodePort}, answering 200 while this node has a ready local endpoint, as kube-proxy does.
 */
@NullMarked
package io.userspaceproxy.agent.healthcheck;

import org.jspecify.annotations.NullMarked;
