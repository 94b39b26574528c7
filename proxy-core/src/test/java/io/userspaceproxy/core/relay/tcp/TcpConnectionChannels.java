package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;

/** Lets tests in other packages see the frontend channels of a table's open connections. */
public final class TcpConnectionChannels {

    private TcpConnectionChannels() {
    }

    /** The frontend (accepted) channel of every connection open in {@code table} now. */
    public static List<Channel> frontends(TcpConnectionTable table) {
        List<Channel> frontends = new ArrayList<>();
        for (TcpConnection connection : table.openConnections()) {
            frontends.add(connection.frontend());
        }
        return frontends;
    }
}
