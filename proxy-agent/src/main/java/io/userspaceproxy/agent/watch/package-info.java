/**
 * Sources of cluster state, the only packages that touch fabric8 model types: {@code watch.api} watches the API
 * server ({@link io.userspaceproxy.agent.watch.api.KubernetesSource}) and writes the agent's Events,
 * {@code watch.manifests} reads a directory of manifest files
 * ({@link io.userspaceproxy.agent.watch.manifests.ManifestSource}), and both convert and validate what they read
 * into {@code agent.state} records through {@code watch.convert}
 * ({@link io.userspaceproxy.agent.watch.convert.KubernetesObjects}) for a {@code ChangeTracker} and a
 * {@code NodeTracker}.
 */
@NullMarked
package io.userspaceproxy.agent.watch;

import org.jspecify.annotations.NullMarked;
