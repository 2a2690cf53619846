package dev.rotakey.testing;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A successful answer: 204 without a body, or 200 with Vault's full response envelope. */
final class VaultReply {
    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.nnnnnnnnn'Z'")
            .withZone(ZoneOffset.UTC);

    final int status;
    final Map<String, Object> body;

    private VaultReply(int status, Map<String, Object> body) {
        this.status = status;
        this.body = body;
    }

    static VaultReply noContent() {
        return new VaultReply(204, null);
    }

    /** A JSON body without the envelope, as the unauthenticated sys/ status endpoints answer. */
    static VaultReply bare(int status, Map<String, Object> body) {
        return new VaultReply(status, body);
    }

    static VaultReply data(Map<String, ?> data) {
        return envelope(data, null, null);
    }

    /** The envelope with a non-200 status, as KV v2 answers a deleted version: 404 with its metadata. */
    static VaultReply dataWithStatus(int status, Map<String, ?> data) {
        return new VaultReply(status, envelope(data, null, null).body);
    }

    static VaultReply data(Map<String, ?> data, List<String> warnings) {
        return envelope(data, null, warnings);
    }

    static VaultReply auth(Map<String, ?> auth, List<String> warnings) {
        return envelope(null, auth, warnings);
    }

    private static VaultReply envelope(Map<String, ?> data, Map<String, ?> auth, List<String> warnings) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("request_id", UUID.randomUUID().toString());
        b.put("lease_id", "");
        b.put("renewable", false);
        b.put("lease_duration", 0);
        b.put("data", data);
        b.put("wrap_info", null);
        b.put("warnings", warnings == null || warnings.isEmpty() ? null : warnings);
        b.put("auth", auth);
        b.put("mount_type", "");
        return new VaultReply(200, b);
    }

    /** Names the engine that answered, as Vault 1.14+ does in every envelope. */
    VaultReply mountType(String type) {
        if (body != null && body.containsKey("mount_type")) {
            body.put("mount_type", type);
        }
        return this;
    }

    /** Vault's time format: RFC 3339 with nanoseconds in UTC. */
    static String rfc3339(Instant t) {
        return RFC3339.format(t);
    }
}
