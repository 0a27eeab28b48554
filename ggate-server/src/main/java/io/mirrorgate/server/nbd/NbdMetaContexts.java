package io.mirrorgate.server.nbd;

import static io.mirrorgate.server.nbdprotocol.NbdConstants.CONTEXT_BASE_ALLOCATION;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.MAX_STRING;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The metadata contexts this server offers ({@code base:allocation} only) and the parsing of
 * NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT data.
 *
 * <pre>
 * +----------------------------+
 * | u32 export name length     |
 * | export name                |
 * | u32 number of queries      |
 * | per query: u32 length,     |
 * |            query string    |
 * +----------------------------+
 * </pre>
 *
 * A LIST without queries lists every context; a query {@code "base:"} matches every context of
 * that namespace (LIST only, as qemu-nbd and nbdkit do); otherwise a query is a context name.
 */
final class NbdMetaContexts {
    private NbdMetaContexts() {}

    /** A parsed request: the export it is for, and its queries. */
    record Query(String exportName, List<String> queries) {}

    /** A request that breaks the layout: the reason, for NBD_REP_ERR_INVALID. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    /** Parses the option data (consumes it). */
    static Query parse(ByteBuf data) throws Invalid {
        String name = string(data, "export name");
        if (data.readableBytes() < 4) {
            throw new Invalid("number of queries missing after the export name");
        }
        long count = data.readUnsignedInt();
        if (count > data.readableBytes() / 4) {
            throw new Invalid("number of queries: " + count + " (expected: <= "
                    + data.readableBytes() / 4 + " in the bytes that follow)");
        }
        List<String> queries = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            queries.add(string(data, "query " + i));
        }
        if (data.isReadable()) {
            throw new Invalid(data.readableBytes() + " bytes after the last query (expected: 0)");
        }
        return new Query(name, queries);
    }

    private static String string(ByteBuf data, String what) throws Invalid {
        if (data.readableBytes() < 4) {
            throw new Invalid(what + " length missing");
        }
        long length = data.readUnsignedInt();
        if (length > MAX_STRING || length > data.readableBytes()) {
            throw new Invalid(what + " length: " + length + " (expected: <= "
                    + Math.min(MAX_STRING, data.readableBytes()) + ")");
        }
        return data.readCharSequence((int) length, StandardCharsets.UTF_8).toString();
    }

    /** The contexts {@code queries} select; {@code list}: NBD_OPT_LIST (namespace queries). */
    static List<String> select(List<String> queries, boolean list) {
        if (list && queries.isEmpty()) {
            return List.of(CONTEXT_BASE_ALLOCATION);
        }
        for (String q : queries) {
            if (q.equals(CONTEXT_BASE_ALLOCATION) || (list && q.equals("base:"))) {
                return List.of(CONTEXT_BASE_ALLOCATION);
            }
        }
        return List.of();
    }
}
