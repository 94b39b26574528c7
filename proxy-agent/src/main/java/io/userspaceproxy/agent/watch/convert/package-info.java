/**
 * Kubernetes objects (fabric8's model types) converted and validated into {@code agent.state} records, the
 * Service annotations included; shared by the API server source and the manifest directory.
 */
@NullMarked
package io.userspaceproxy.agent.watch.convert;

import org.jspecify.annotations.NullMarked;
