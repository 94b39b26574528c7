/** The JMH suite's shared run settings and the synthetic clusters its benchmarks are measured on. */
package io.userspaceproxy.bench;
