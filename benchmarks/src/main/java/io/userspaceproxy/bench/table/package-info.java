/** Cost of finding a listener's route, beside iptables mode's rule walk, and of applying a change to the table. */
package io.userspaceproxy.bench.table;
