package dev.rotakey.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * A signed statement that the audit chain's event {@code seq} has hash {@code hash}: the signed text is
 * {@code payload} exactly, signed with the key {@code keyAlias} of the key backend {@code backend}, the signature in
 * base64. Whoever rewrites the chain before it would need that key, which never leaves the backend.
 */
public record AuditCheckpoint(long seq, String hash, Instant at, String backend, String keyAlias, String algorithm,
                              String payload, String signature, String node) {
    private static final JsonFactory JSON = new JsonFactory();

    public AuditCheckpoint {
        at = at.truncatedTo(ChronoUnit.MICROS);
    }

    /** The text a checkpoint signs: one line of JSON, ASCII only, with every field it vouches for. */
    public static String payload(long seq, String hash, Instant at, String backend, String keyAlias) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("type", "rotakey-audit-checkpoint");
            g.writeNumberField("seq", seq);
            g.writeStringField("hash", hash);
            g.writeStringField("at", DateTimeFormatter.ISO_INSTANT.format(at.truncatedTo(ChronoUnit.MICROS)));
            g.writeStringField("backend", backend);
            g.writeStringField("key", keyAlias);
            g.writeEndObject();
        } catch (IOException impossible) {
            throw new UncheckedIOException(impossible);
        }
        return out.toString();
    }

    /** Whether {@link #payload} says what the other fields say (a row whose fields were edited does not). */
    public boolean payloadMatches() {
        return payload.equals(payload(seq, hash, at, backend, keyAlias));
    }
}
