package dev.rotakey.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * One event's place in the audit chain: its number, the hash of the event before it, and its canonical line, the
 * one-line JSON whose SHA-256 is the event's hash. The export writes these lines as they are, so an auditor checks
 * the chain with {@code openssl dgst -sha256} alone, never re-serialising JSON.
 */
public record ChainLink(long seq, String prev, String line, String hash) {
    /** The {@code prev} of the first event: 64 zeros. */
    public static final String GENESIS = "0".repeat(64);
    private static final JsonFactory JSON = new JsonFactory();

    /** The link of {@code event} numbered {@code seq} after the event whose hash is {@code prev}. */
    public static ChainLink of(long seq, String prev, AuditEvent event) {
        String line = canonicalLine(seq, prev, event);
        return new ChainLink(seq, prev, line, sha256Hex(line));
    }

    /** The links of {@code events}, in order, after the event numbered {@code seq} whose hash is {@code prev}. */
    public static List<ChainLink> after(long seq, String prev, List<AuditEvent> events) {
        List<ChainLink> links = new ArrayList<>(events.size());
        for (AuditEvent e : events) {
            ChainLink link = of(++seq, prev, e);
            links.add(link);
            prev = link.hash();
        }
        return links;
    }

    /**
     * The canonical line: the fields in a fixed order, nulls written as null, the instant in ISO-8601 UTC (as stored:
     * microseconds), no white space. Its bytes are UTF-8.
     */
    static String canonicalLine(long seq, String prev, AuditEvent e) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("seq", seq);
            g.writeStringField("prev", prev);
            g.writeStringField("at", DateTimeFormatter.ISO_INSTANT.format(e.at()));
            g.writeStringField("actor", e.actor());
            g.writeStringField("action", e.action());
            g.writeStringField("subject", e.subject());
            g.writeStringField("outcome", e.outcome());
            g.writeStringField("correlationId", e.correlationId());
            g.writeStringField("details", e.details());
            g.writeStringField("node", e.node());
            g.writeEndObject();
        } catch (IOException impossible) {
            throw new UncheckedIOException(impossible);
        }
        return out.toString();
    }

    /** SHA-256 of the UTF-8 bytes of {@code text}, in lower-case hex. */
    public static String sha256Hex(String text) {
        return sha256Hex(text.getBytes(StandardCharsets.UTF_8));
    }

    /** SHA-256 of {@code bytes}, in lower-case hex (a public key's fingerprint in an export). */
    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
