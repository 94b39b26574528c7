/**
 * A directory of manifest files as a source, for the local dev proxy: bounded YAML reading, whole-file validation,
 * and a watch that applies each edit, with the last good state kept for a file that breaks.
 */
@NullMarked
package io.userspaceproxy.agent.watch.manifests;

import org.jspecify.annotations.NullMarked;
