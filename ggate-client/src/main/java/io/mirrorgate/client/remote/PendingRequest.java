package io.mirrorgate.client.remote;

import io.mirrorgate.server.protocol.Command;
import io.mirrorgate.server.protocol.Request;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * A request of a {@link RemoteBlockDevice} until it completes: what to send (again, after a
 * reconnect), its future and its timeout. Write data belongs to the caller (who keeps it until
 * the future completes, as {@code BlockDevice#write} says); each transmission sends a retained
 * duplicate. A set-generation payload belongs to the request and is released when it completes.
 */
final class PendingRequest {
    final long sequence;
    final Command command;
    final int flags;
    final long offset;
    final long length;
    final int crc;
    final ByteBuf data;
    final boolean ownsData;
    final CompletableFuture<Object> future = new CompletableFuture<>();
    ScheduledFuture<?> timeout;
    int transmissions;

    PendingRequest(long sequence, Command command, int flags, long offset, long length, int crc,
            ByteBuf data, boolean ownsData) {
        this.sequence = sequence;
        this.command = command;
        this.flags = flags;
        this.offset = offset;
        this.length = length;
        this.crc = crc;
        this.data = data;
        this.ownsData = ownsData;
    }

    /** A request for the wire, with its own reference to the data. */
    Request toWire() {
        transmissions++;
        return new Request(command.code(), flags, sequence, offset, length, crc,
                data == null ? null : data.retainedDuplicate());
    }

    /** Ends the request's life: cancels the timeout and releases owned data. Once only. */
    void finish() {
        if (timeout != null) {
            timeout.cancel(false);
        }
        if (ownsData && data != null) {
            data.release();
        }
    }

    @Override
    public String toString() {
        return command + " seq=" + sequence + " offset=" + offset + " length=" + length;
    }
}
