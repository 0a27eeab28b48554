# The protocol details of issue 9 through libnbd with strict mode off (run by
# NbdLibnbdDetailsTest): python3 libnbd_details.py URI SIZE. Prints "OK" last; any
# failed check raises (non-zero exit) with what was expected.
import errno
import sys

import nbd

uri, size = sys.argv[1], int(sys.argv[2])
MIB = 1 << 20


def expect_errno(expected, call, *args):
    try:
        call(*args)
    except nbd.Error as e:
        got = getattr(errno, e.errno) if isinstance(e.errno, str) else e.errno  # "EINVAL" in 1.14
        assert got == expected, "%s%r: errno %s (expected: %d)" % (
            call.__name__, args, e.errno, expected)
        return
    raise AssertionError("%s%r succeeded (expected: errno %d)" % (call.__name__, args, expected))


def extents(length, offset, flags=0):
    found = []

    def callback(context, start, entries, err):
        found.extend(entries)
        return 0

    h.block_status(length, offset, callback, flags)
    return list(zip(found[0::2], found[1::2]))


h = nbd.NBD()
h.set_strict_mode(0)
h.set_request_block_size(False)  # no NBD_INFO_BLOCK_SIZE request
h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
h.connect_uri(uri)
assert h.get_size() == size
assert h.get_block_size(nbd.SIZE_MINIMUM) == 512, h.get_block_size(nbd.SIZE_MINIMUM)
assert h.can_meta_context(nbd.CONTEXT_BASE_ALLOCATION)

# 0-length requests: success, nothing else, the connection goes on
assert h.pread(0, 4096) == b""
h.pwrite(b"", 4096)
h.zero(0, 4096)
h.trim(0, 4096)

# unaligned requests without block-size negotiation: EINVAL, the connection goes on
expect_errno(errno.EINVAL, h.pread, 100, 10)
expect_errno(errno.EINVAL, h.pwrite, b"x" * 100, 10)
assert len(h.pread(512, 0)) == 512

# past the end: ENOSPC for writes and write-zeroes, EINVAL for reads
expect_errno(errno.ENOSPC, h.zero, 8192, size - 4096)
expect_errno(errno.ENOSPC, h.pwrite, b"\0" * 4096, size)
expect_errno(errno.EINVAL, h.pread, 4096, size)

# CACHE and DF as advertised
assert h.can_cache() and h.can_df()
h.cache(4 * MIB, 0)
assert len(h.pread(65536, 0, nbd.CMD_FLAG_DF)) == 65536

# NO_HOLE keeps the range allocated (the Java side checks st_blocks as well)
h.zero(MIB, 0, nbd.CMD_FLAG_NO_HOLE)
assert extents(MIB, 0, nbd.CMD_FLAG_REQ_ONE) == [(MIB, 0)], extents(MIB, 0, nbd.CMD_FLAG_REQ_ONE)
assert h.pread(MIB, 0) == b"\0" * MIB

# FAST_ZERO: advertised for a file; fast by punching, refused (ENOTSUP) with NO_HOLE on tmpfs
assert h.can_fast_zero()
expect_errno(errno.ENOTSUP, h.zero, MIB, 2 * MIB, nbd.CMD_FLAG_FAST_ZERO | nbd.CMD_FLAG_NO_HOLE)
h.zero(MIB, 2 * MIB, nbd.CMD_FLAG_FAST_ZERO)
status = extents(MIB, 2 * MIB, nbd.CMD_FLAG_REQ_ONE)
assert status == [(MIB, nbd.STATE_HOLE | nbd.STATE_ZERO)], status

h.shutdown()
print("OK")
