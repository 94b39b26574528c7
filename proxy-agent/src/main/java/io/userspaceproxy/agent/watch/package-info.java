/**
 * Sources of cluster state and the only package that touches fabric8 model types: it converts and validates
 * Services, EndpointSlices, Endpoints and Nodes into {@code agent.state} records and reports them to a
 * {@code ChangeTracker} (and a {@code NodeTracker}), from the API server's informers
 * ({@link io.userspaceproxy.agent.watch.KubernetesSource}) or from manifest files
 * ({@link io.userspaceproxy.agent.watch.ManifestSource}), both through
 * {@link io.userspaceproxy.agent.watch.KubernetesObjects}.
 */
package io.userspaceproxy.agent.watch;
