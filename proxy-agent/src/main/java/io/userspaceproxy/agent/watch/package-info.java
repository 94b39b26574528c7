/**
 * Sources of cluster state and the only package that touches fabric8 model types: it converts and validates
 * Services, EndpointSlices and Endpoints into {@code agent.state} records and reports them to a
 * {@code ChangeTracker}, from manifest files ({@link io.userspaceproxy.agent.watch.ManifestSource}) or, later,
 * from API informers reusing {@link io.userspaceproxy.agent.watch.KubernetesObjects}.
 */
package io.userspaceproxy.agent.watch;
