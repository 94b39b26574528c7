/** Cost of choosing an endpoint for a new connection, per balancer and endpoint count. */
package io.userspaceproxy.bench.balance;
