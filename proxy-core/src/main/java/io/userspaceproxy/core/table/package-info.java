/** The routing table the event loops read: one route slot per listener, each change published with one volatile write. */
@NullMarked
package io.userspaceproxy.core.table;

import org.jspecify.annotations.NullMarked;
