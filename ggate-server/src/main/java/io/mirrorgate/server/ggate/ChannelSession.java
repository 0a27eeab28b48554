package io.mirrorgate.server.ggate;

import io.mirrorgate.server.export.ReplicationEndpoint;
import io.netty.channel.Channel;

/** An admitted ggate connection as a {@link ReplicationEndpoint} sees it. */
final class ChannelSession implements ReplicationEndpoint.Session {
    private final Channel channel;
    private final String peer;
    private final String nodeId;
    private final long epoch;

    ChannelSession(Channel channel, String peer, String nodeId, long epoch) {
        this.channel = channel;
        this.peer = peer;
        this.nodeId = nodeId;
        this.epoch = epoch;
    }

    @Override
    public String peer() {
        return peer;
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public long epoch() {
        return epoch;
    }

    @Override
    public void close() {
        channel.close();
    }

    @Override
    public String toString() {
        return "session[peer=" + peer + " node=" + nodeId + " epoch=" + Long.toUnsignedString(epoch) + "]";
    }
}
