package io.mirrorgate.server.export;

/** The access an exports line grants, or a client asks for: read-only, write-only, read-write. */
public enum Access {
    RO(true, false),
    WO(false, true),
    RW(true, true);

    private final boolean read;
    private final boolean write;

    Access(boolean read, boolean write) {
        this.read = read;
        this.write = write;
    }

    public boolean canRead() {
        return read;
    }

    public boolean canWrite() {
        return write;
    }

    /** Whether a client granted this access may use {@code requested}. */
    public boolean permits(Access requested) {
        return (!requested.read || read) && (!requested.write || write);
    }

    /** Parses RO, WO or RW (any case). */
    public static Access parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "access: " + text + " (expected: RO, WO or RW)", e);
        }
    }
}
