/** The control plane's sync path, measured as the agent runs it: checkout, snapshot, table, diff. */
package io.userspaceproxy.bench.sync;
