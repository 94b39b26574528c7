/** Counters of the data plane, bound per service port at sync time and summed on scrape. */
package io.userspaceproxy.core.metrics;
