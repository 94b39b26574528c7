/**
 * The control plane's view of the cluster as plain immutable records (Services and EndpointSlices), free of any
 * Kubernetes client type, so the sync and snapshot code can be tested and reused whatever the source (API server
 * informers or manifest files). Every component is non-null unless its javadoc says "nullable".
 */
@NullMarked
package io.userspaceproxy.agent.state;

import org.jspecify.annotations.NullMarked;
