package io.mirrorgate.server.device;

import static io.mirrorgate.server.device.LinuxCalls.EINTR;
import static io.mirrorgate.server.device.LinuxCalls.EOPNOTSUPP;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a regular file holds data and where holes, from {@code lseek} with {@code SEEK_DATA} and
 * {@code SEEK_HOLE} on the open descriptor of a {@link DeviceFile}. Blocks; called on the device's
 * I/O pool only. Remembers a filesystem that turned out not to support them (then "all data").
 */
final class AllocationScan {
    private final String name;
    private final int fd;
    private final int blockSize;
    private volatile boolean seekHoleSupported = true;

    AllocationScan(String name, int fd, int blockSize) {
        this.name = name;
        this.fd = fd;
        this.blockSize = blockSize;
    }

    /**
     * The allocation of {@code [offset, offset + length)} from {@code SEEK_DATA}/{@code
     * SEEK_HOLE}: at most {@code maxExtents} extents (two {@code lseek}s each), boundaries
     * rounded to the block size with data winning. A filesystem without SEEK_HOLE answers "all
     * data".
     */
    List<Extent> extents(long offset, long length, int maxExtents) {
        long end = offset + length;
        List<Extent> out = new ArrayList<>();
        long pos = offset;
        while (pos < end && out.size() < maxExtents && seekHoleSupported) {
            long data = seek(pos, LinuxCalls.SEEK_DATA, end);
            if (data < 0) {
                break;
            }
            long next;
            Extent.Allocation kind;
            if (data > pos) {
                // a hole: its end rounds down, so a partly written block counts as data
                next = Math.max(Math.min(data, end) / blockSize * blockSize, pos);
                kind = Extent.Allocation.HOLE;
            } else {
                long hole = seek(pos, LinuxCalls.SEEK_HOLE, end);
                if (hole < 0) {
                    break;
                }
                next = Math.min(end, (hole + blockSize - 1) / blockSize * blockSize);
                kind = Extent.Allocation.DATA;
            }
            if (next <= pos) {
                next = Math.min(end, pos + blockSize);
                kind = Extent.Allocation.DATA;
            }
            Extent last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last.allocation() == kind) {
                out.set(out.size() - 1, new Extent(last.offset(), next - last.offset(), kind));
            } else {
                out.add(new Extent(pos, next - pos, kind));
            }
            pos = next;
        }
        if (out.isEmpty()) {
            out.add(new Extent(offset, length, Extent.Allocation.DATA));
        }
        return out;
    }

    /**
     * {@code lseek(pos, whence)}: the offset found, {@code end} where no data follows (ENXIO),
     * or -1 once the filesystem turned out not to support SEEK_DATA/SEEK_HOLE.
     */
    private long seek(long pos, int whence, long end) {
        while (true) {
            long found = LinuxCalls.libc().lseek(fd, pos, whence);
            if (found >= 0) {
                return found;
            }
            int errno = LinuxCalls.errno();
            if (errno == EINTR) {
                continue;
            }
            if (errno == LinuxCalls.ENXIO) {
                return whence == LinuxCalls.SEEK_DATA ? Math.max(end, pos + 1) : pos;
            }
            if (errno == LinuxCalls.EINVAL || errno == EOPNOTSUPP) {
                seekHoleSupported = false;
                return -1;
            }
            throw LinuxCalls.failure(errno, String.format("%s: lseek(%d, %s)", name, pos,
                    whence == LinuxCalls.SEEK_DATA ? "SEEK_DATA" : "SEEK_HOLE"));
        }
    }
}
