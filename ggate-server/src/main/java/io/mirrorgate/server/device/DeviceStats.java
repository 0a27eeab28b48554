package io.mirrorgate.server.device;

/**
 * A snapshot of a device's request counters, for {@code ggate-client list} and metrics.
 *
 * @param reads completed reads
 * @param bytesRead bytes returned by completed reads
 * @param writes completed writes (write-zeroes included)
 * @param bytesWritten bytes covered by completed writes and write-zeroes
 * @param flushes completed flushes
 * @param trims completed trims
 * @param errors requests whose system call failed
 * @param rejected requests refused because the I/O queue was full
 * @param bytesZeroed the part of {@code bytesWritten} covered by write-zeroes (no payload)
 */
public record DeviceStats(long reads, long bytesRead, long writes, long bytesWritten,
        long flushes, long trims, long errors, long rejected, long bytesZeroed) {

    /** Bytes written from a payload: {@code bytesWritten - bytesZeroed}. */
    public long bytesWrittenWithData() {
        return bytesWritten - bytesZeroed;
    }
}
