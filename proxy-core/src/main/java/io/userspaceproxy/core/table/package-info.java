/** The routing table the event loops read: built off the loop from a snapshot, published with one volatile write. */
package io.userspaceproxy.core.table;
