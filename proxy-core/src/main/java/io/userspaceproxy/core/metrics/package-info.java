/** Counters of the data plane, bound per service port at sync time and summed on scrape. */
@NullMarked
package io.userspaceproxy.core.metrics;

import org.jspecify.annotations.NullMarked;
